// Package bearer is net/http middleware for resource servers that accept
// OAuth 2.0 bearer tokens (RFC 6750) in the Authorization header.
//
// Authenticate reads "Authorization: Bearer <token>" (the scheme is
// case-insensitive; the header must appear once, with one token; a token in
// the query string or the body is never read), verifies the token with a
// TokenVerifier such as *verify.Verifier and puts its claims in the
// request context, where FromContext finds them. RequireScopes then admits
// only tokens granted the scopes a route declares:
//
//	auth := bearer.Authenticate(verifier, opts)
//	mux.Handle("GET /search", auth(bearer.RequireScopes(opts, "search")(searchHandler)))
//
// Refusals are answered by WriteError as RFC 6750 §3 prescribes: 401 with a
// bare challenge when no credentials came, 401 invalid_token when the token
// is bad, 400 invalid_request when the header is malformed, 403
// insufficient_scope naming the required scopes; with a JSON body
// {"error": …, "error_description": …} and, if configured, the RFC 9728
// resource_metadata URL in the challenge. A token that cannot be verified
// for want of its key (verify.ErrKeysUnavailable: the key set cannot be
// fetched) gets 503 temporarily_unavailable with Retry-After and no
// challenge, so that its holder keeps it and tries again. Package
// ginbearer offers the same for Gin.
//
// With a verifier that caches verified tokens (verify.Cached), a route that
// must not rely on an earlier verification sets Options.NoCache: its
// tokens are verified afresh every time (Live).
//
// Authenticate carries the trace context of distributed tracing: a
// request continues the trace of its W3C traceparent header, so that the
// calls its handler makes with the request's context stay in the caller's
// trace, and inside a recorded trace the token is verified in a span of
// its own (see package tracing; the OpenTelemetry API only, no SDK).
package bearer
