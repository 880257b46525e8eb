// Package tokentest stands in for an authorization server in the tests of
// a service that accepts its access tokens, as package net/http/httptest
// stands in for an HTTP server: a test can call a protected handler with
// real tokens, verified by the real verifier, without running an
// authorization server.
//
// An Issuer mints RFC 9068 access tokens (JWTs of type at+jwt) signed with
// a throw-away RSA key, and serves on a loopback httptest server what a
// resource server fetches from an authorization server: its RFC 8414
// metadata at jwks.MetadataPath and its key set at JWKSPath. Point the
// service's issuer setting, or jwks.RemoteOptions.Issuer, at Issuer.URL:
//
//	iss := tokentest.NewIssuer()
//	t.Cleanup(iss.Close)
//	v := iss.Verifier("search-api", nil) // or the service's own set-up
//	token := iss.Token("search-api", "search")
//
// Tokens a verifier must refuse start from Claims, changed, then signed:
// expired, for another audience, without a scope, or signed by a key no
// issuer publishes (NewKey, Sign).
//
// Generating an RSA key is slow: every Issuer of a process signs with the
// same key, generated once, under the same key id. Issuers differ by URL,
// and so by the "iss" of their tokens.
package tokentest
