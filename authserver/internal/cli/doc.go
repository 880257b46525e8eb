// Package cli is the authserver command line: the serve command that runs
// the authorization server, and the commands that administer its database
// (migrate, users, clients, keys) or check a running server (healthcheck).
//
// Main takes everything from the outside world as arguments (arguments,
// standard streams, environment) and returns the exit status, so the whole
// command line is tested in-process.
package cli
