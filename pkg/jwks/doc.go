// Package jwks holds the JSON Web Key Set wire format (RFC 7517, RFC 7518
// §6, RFC 8037): encoding public keys for publication at
// /.well-known/jwks.json and decoding them back into crypto public keys.
//
// Only public keys are ever encoded; the types here have no fields for
// private key material.
//
// Remote is the consuming side: a key set fetched from an authorization
// server (at a configured URL, or at the jwks_uri of its RFC 8414 metadata),
// cached in memory and refreshed in the background as its Cache-Control
// allows, within a floor and a ceiling. A token signed with a key id that is
// not cached triggers a refresh, at most once per cooldown and shared by all
// concurrent callers, so a flood of forged key ids cannot turn into a flood
// of requests to the authorization server.
//
// Only keys fit for signature verification are used: "use" absent or "sig",
// "key_ops" absent or containing "verify", an "alg" that Remote supports
// (SupportedAlgorithms) and that agrees with "kty" and "crv". A key that
// carries private members ("d", "p", "k", ...) is never used, and a cached
// key whose private part later shows up in the set is dropped.
//
// A refresh that fails (network error, timeout, non-200 answer, redirect to
// another host, document over the size bound, malformed JSON, or a set with
// no usable key) changes nothing: the last good keys stay in use, so an
// authorization server that is down never stops the verification of tokens
// whose keys are cached. A key id that is not cached is ErrUnknownKey only
// when a key set was fetched without it; while none can be had (the fetch
// failed, or did not end within MaxWait), it is ErrUnavailable, which a
// resource server answers with 503, not 401. No caller waits longer than
// MaxWait (2s) for a fetch, and one fetch serves every caller waiting.
//
// Remote.Generation changes whenever a key leaves the set (or is replaced
// under the same kid), so that whoever remembers what a key verified, such
// as verify.Cached, can forget it.
//
// A fetch that a request triggers (an unknown kid) inside a recorded trace
// runs in a span, "jwks fetch", and its HTTP requests carry the trace
// context on (package tracing); background refreshes are in no trace.
package jwks
