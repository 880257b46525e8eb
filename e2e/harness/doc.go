// Package harness runs the real fastsafe binaries for black-box tests: it
// builds the authserver and resourceserver binaries from the workspace
// into a temporary directory, starts them as processes on loopback ports
// with their own database, drives the authserver command line, and keeps
// every line they log so tests can check that no credential ever reaches a
// log. A package whose tests use it calls Main from its TestMain, which
// removes the binaries when the tests end.
package harness
