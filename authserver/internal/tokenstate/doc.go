// Package tokenstate answers what state a token presented back to the
// authorization server is in, and serves the two endpoints built on that:
// introspection (RFC 7662) and revocation (RFC 7009).
//
// An access token is active while its signature checks against a published
// key, it has not expired, its "jti" was not revoked and the grant it was
// issued under (its "sid") is still active. A refresh token is active while
// it is unused, unexpired and its family not revoked.
package tokenstate
