// Package token serves the token endpoint (RFC 6749 §3.2): the password,
// client_credentials and refresh_token grants.
//
// A request goes through four steps, each in one place:
//
//   - handler.go parses the form (package form), authenticates the client
//     (package clientauth: hashed secrets, constant time, no GET, no
//     query-string credentials), dispatches on grant_type and writes the
//     RFC 6749 §5.1 answer or the §5.2 error.
//   - One file per grant decides, from the authenticated client, the
//     grant's parameters and the clock reading, what to issue: subject,
//     scope, audience and refresh family or rotation (a decision).
//     password.go checks the resource owner's credentials,
//     client_credentials.go issues to the client itself, refresh_token.go
//     checks the presented refresh token (client binding, idle and absolute
//     expiry, reuse, today's client and user scopes). The
//     authorization_code grant goes beside them, and its code storage
//     into the engine's TokenStore (engine.go).
//   - engine.go runs the decision on the go-oauth2 manager, bound to that
//     one decision for the request, with no context values: the manager
//     assembles the token (client, subject, scope, lifetimes from its
//     configuration) and calls back our generator, which signs an RFC 9068
//     JWT at the decision's clock reading, and our token store, which
//     keeps refresh tokens as hashes and rotates them atomically in the
//     store.
//   - Errors are mapped in handler.go: what the engine returns beyond our
//     own errors is a broken invariant, answered with a logged 500.
//
// The manager's unsafe defaults are replaced: redirect URIs are matched
// exactly (redirect_uri.go), its plaintext client secret comparison gives
// way to clientauth's result, and every part of its storage fastsafe does
// not use fails with errDisabledPath instead of succeeding silently. The
// manager reads time.Now itself; no check that can refuse a request uses
// that reading.
//
// The password grant normalises the user name (package username) before
// anything else, and reports every failed login to a LoginThrottle: while
// an account is locked out, even the right password gets the answer a
// wrong one gets (RFC 6749 §4.3.2 requires protection against guessing).
package token
