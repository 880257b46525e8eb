// Package claims defines the payload of the JWT access tokens that the
// fastsafe authorization server issues and that resource servers verify, as
// profiled by RFC 9068 ("JSON Web Token (JWT) Profile for OAuth 2.0 Access
// Tokens").
//
// The same type is used on both sides of the wire, so issuer and verifier can
// never disagree about a claim's name or encoding.
package claims
