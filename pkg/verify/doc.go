// Package verify checks RFC 9068 JWT access tokens on a resource server.
//
// A Verifier accepts a token only if all of the following hold:
//
//   - it is at most Options.MaxTokenSize bytes (checked before any parsing)
//     and in JWS compact form: exactly three segments;
//   - its "alg" is on the allowlist of asymmetric algorithms: never "none",
//     never an HMAC algorithm, so a public key can never be used as an HMAC
//     secret;
//   - its "typ" is "at+jwt" (case-insensitive, "application/" prefix
//     allowed), so that ID tokens and other JWTs are not taken for access
//     tokens;
//   - it has no "crit" header: no extension is understood;
//   - its header and its claims are each one JSON object in UTF-8, nested
//     at most MaxJSONDepth deep, in which no member appears twice and none
//     differs only in case from a member the Verifier reads (encoding/json
//     would otherwise fill "sub" from "SUB" or "\u017fub", and keep the
//     last of repeated members), and whose dates are JSON numbers, not
//     strings;
//   - its "kid" names a key of the KeySource (usually a *jwks.Remote) whose
//     own algorithm is the token's "alg"; keys are only ever taken from the
//     KeySource: the "jku", "x5u", "jwk" and "x5c" headers are ignored and
//     never fetched;
//   - the signature is valid;
//   - "iss" equals Options.Issuer exactly, "aud" contains Options.Audience,
//     "exp" is present and not past, "nbf" and "iat", if in the future, are
//     within Options.Leeway, and "sub", "client_id", "iat" and "jti" are
//     present (RFC 9068 §2.2);
//   - "exp" is at most MaxLifetime (a day) after "iat", so that no date,
//     however large, makes a token last for ever.
//
// Every failure is reported as one of the package's Err* values (test with
// errors.Is), none of which echoes the token.
//
// The signing methods and the claims validator of
// github.com/golang-jwt/jwt/v5 are set up once per Verifier and reused;
// the token is decoded once, into typed claims. Verify is safe for
// concurrent use.
//
// Cached puts a bounded cache of verified tokens in front of a Verifier: a
// token presented again is accepted for a SHA-256 of the token and a map
// look-up, until its exp or until its key leaves the key set (see Cached
// for exactly what it remembers and for how long).
package verify
