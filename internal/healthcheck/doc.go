// Package healthcheck asks a server whether it is alive, as the
// HEALTHCHECK of a container image does: the images have no shell and no
// curl, so each binary checks by itself (authserver healthcheck,
// resourceserver healthcheck), and the command internal/cmd/healthcheck
// checks a server that cannot, such as the demo's oauth2-proxy.
package healthcheck
