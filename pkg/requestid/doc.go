// Package requestid gives every HTTP request an id that follows it through
// the logs of each service it reaches: Middleware takes a valid incoming
// X-Request-ID header (or makes a new id), echoes it in the response and
// puts it in the request context; LogHandler adds it to every log record
// written with that context; Transport passes it on to outgoing requests.
// LogHandler also logs the OpenTelemetry trace and span the context is in,
// if any (see package tracing), so that a log line leads to its trace.
//
// An incoming id is used only if it is short and made of safe characters
// (see Valid), so that a client cannot forge log lines or bloat them.
package requestid
