// Package cli is the resourceserver command: it reads the configuration,
// then either serves the search API until its context ends, or, as
// "resourceserver healthcheck", probes a running server's /healthz for a
// container health check.
package cli
