// Package server is the resource server's HTTP surface: the routes of the
// search API (routes.go lists them all), the bearer-token protection of
// /search, the RFC 9728 protected resource metadata, the API documentation,
// health probes, request logging and panic recovery.
package server
