// Package security is fastsafe's security suite: black-box tests that run
// the real authserver and resourceserver binaries on loopback (package
// harness) and attack them over HTTP, one table row per attack, each row
// naming the RFC section it defends. SECURITY.md at the root of the
// repository describes the threat model and points at the rows.
//
// The tests are in package security_test; this package holds no code.
package security
