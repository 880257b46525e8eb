// Package e2e holds the end-to-end tests of fastsafe: the real auth server
// and resource server binaries, started on loopback by package harness and
// driven with standard OAuth2 clients, raw HTTP and a real browser.
package e2e
