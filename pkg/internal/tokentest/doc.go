// Package tokentest stands in for an authorization server in the tests
// and benchmarks of this module: it serves an RS256 key set over HTTP and
// signs RFC 9068 access tokens with it, so that tests verify tokens with
// the real verifier, key set and cache.
package tokentest
