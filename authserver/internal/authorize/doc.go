// Package authorize serves the authorization endpoint (RFC 6749 §4.1, RFC
// 7636, OpenID Connect Core §3.1) and the pages a person goes through on
// the way: sign-in, consent, and sign-out (OpenID Connect RP-Initiated
// Logout 1.0).
//
// One file per step: request.go checks an authorization request,
// authorize.go serves /authorize and decides what comes next, login.go the
// sign-in form, consent.go the consent form, code.go the answer to the
// client, logout.go the end of a session.
//
// The flow keeps no state of its own between the pages: each form sends
// the original request back, and it is checked again, from the client
// and its registered redirect URIs, as if it had just arrived. A request
// that names no registered client, or a redirect URI the client did not
// register, is never redirected: the person is shown an error page. Every
// other error goes back to the client with state and iss (RFC 9207).
// Every form carries a CSRF token (package session), every page forbids
// framing, and a person is asked for their password only when they have
// no session, or the client asks for a fresh sign-in (prompt=login,
// max_age).
package authorize
