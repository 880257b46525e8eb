// Package harness runs the real fastsafe binaries for black-box tests: it
// builds bin/authserver and bin/resourceserver from the workspace, starts
// them as processes on loopback ports with their own database, drives the
// authserver command line, and keeps every line they log so tests can
// check that no credential ever reaches a log.
package harness
