// Package reqlog writes one log line per HTTP request (method, path,
// status, duration, and the client_id once a handler has authenticated the
// client) and recovers from handler panics with a JSON 500. It never logs
// headers, query strings or bodies, so credentials cannot reach the log.
//
// It logs with the request's context, so a logger whose handler reads the
// request id from the context (requestid.LogHandler, which the server
// installs) adds the id to the line.
package reqlog
