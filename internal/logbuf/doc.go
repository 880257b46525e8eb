// Package logbuf collects what a server or a process logs, for the tests
// that read it while the server still writes: a buffer safe for concurrent
// writers and readers, and the JSON records in it (one a line, as
// slog.JSONHandler writes them).
package logbuf
