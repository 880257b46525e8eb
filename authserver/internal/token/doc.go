// Package token serves the token endpoint (RFC 6749 §3.2): the password,
// client_credentials and refresh_token grants.
//
// The grants run on the go-oauth2 engine (manage.Manager), wrapped so that
// what the engine gets wrong cannot reach a client: requests are parsed and
// clients authenticated here (constant-time, hashed secrets, no GET, no
// query-string credentials), the refresh token's client binding and scope
// narrowing are checked here before the engine runs, access tokens are RFC
// 9068 JWTs signed by a pre-parsed key, refresh tokens are stored only as
// hashes and rotated atomically by the store, and every error is answered
// as RFC 6749 §5.2 says.
//
// The password grant normalises the user name (package username) before
// anything else, and reports every failed login to a LoginThrottle: while
// an account is locked out, even the right password gets the answer a
// wrong one gets (RFC 6749 §4.3.2 requires protection against guessing).
package token
