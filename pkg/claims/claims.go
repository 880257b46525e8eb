package claims

import (
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// TokenType is the JOSE "typ" header value of an RFC 9068 access token.
const TokenType = "at+jwt"

// AccessToken is the claim set of an RFC 9068 JWT access token.
//
// It implements jwt.Claims, so it can be passed directly to golang-jwt for
// signing and parsing.
type AccessToken struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.ClaimStrings `json:"aud"`
	ExpiresAt *jwt.NumericDate `json:"exp"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	NotBefore *jwt.NumericDate `json:"nbf,omitempty"`
	ID        string           `json:"jti"`
	ClientID  string           `json:"client_id"`
	// Scope is the space-separated list of granted scopes (RFC 9068 §2.2.3).
	Scope string `json:"scope,omitempty"`
	// SessionID identifies the grant (refresh-token family) the token was
	// issued under, so that revoking the grant can also deactivate its
	// access tokens at introspection. Empty for client_credentials tokens.
	SessionID string `json:"sid,omitempty"`
	// Confirmation binds the token to a key (RFC 7800): for a DPoP-bound
	// token, the thumbprint of the client's DPoP key (RFC 9449 §6.1).
	Confirmation *Confirmation `json:"cnf,omitempty"`
	// Actor is the party acting on behalf of Subject, for a token made by
	// token exchange (RFC 8693 §4.1): the client that exchanged it, and,
	// nested in it, the actors before it.
	Actor *Actor `json:"act,omitempty"`
}

// Confirmation is the "cnf" claim of a sender-constrained token.
type Confirmation struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the DPoP public key.
	JKT string `json:"jkt,omitempty"`
}

// Actor is an "act" claim (RFC 8693 §4.1): who acts, and, in Actor, who
// acted before it, outermost the current one.
type Actor struct {
	Subject string `json:"sub"`
	Actor   *Actor `json:"act,omitempty"`
}

// Chain lists the actors from the current one to the first: for a token
// that service A exchanged for B and B for C, [B, A].
func (a *Actor) Chain() []string {
	var out []string
	for ; a != nil; a = a.Actor {
		out = append(out, a.Subject)
	}
	return out
}

// Depth is how many actors are nested, 0 for none.
func (a *Actor) Depth() int { return len(a.Chain()) }

// BoundKey returns the thumbprint of the DPoP key the token is bound to,
// "" for a bearer token.
func (c *AccessToken) BoundKey() string {
	if c.Confirmation == nil {
		return ""
	}
	return c.Confirmation.JKT
}

var _ jwt.Claims = (*AccessToken)(nil)

// GetExpirationTime implements jwt.Claims.
func (c *AccessToken) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }

// GetIssuedAt implements jwt.Claims.
func (c *AccessToken) GetIssuedAt() (*jwt.NumericDate, error) { return c.IssuedAt, nil }

// GetNotBefore implements jwt.Claims.
func (c *AccessToken) GetNotBefore() (*jwt.NumericDate, error) { return c.NotBefore, nil }

// GetIssuer implements jwt.Claims.
func (c *AccessToken) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c *AccessToken) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims.
func (c *AccessToken) GetAudience() (jwt.ClaimStrings, error) { return c.Audience, nil }

// Scopes returns the granted scopes as a list.
func (c *AccessToken) Scopes() []string { return ParseScope(c.Scope) }

// HasScope reports whether scope s was granted.
func (c *AccessToken) HasScope(s string) bool {
	for f := range strings.FieldsSeq(c.Scope) {
		if f == s {
			return true
		}
	}
	return false
}

// HasAudience reports whether aud is one of the token's audiences.
func (c *AccessToken) HasAudience(aud string) bool {
	return slices.Contains(c.Audience, aud)
}

// ParseScope splits a space-separated scope string (RFC 6749 §3.3) into its
// distinct tokens, in order of first appearance.
func ParseScope(s string) []string {
	fields := strings.Fields(s)
	out := fields[:0]
	for _, f := range fields {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// FormatScope joins scopes into the space-separated form used on the wire.
func FormatScope(scopes []string) string { return strings.Join(scopes, " ") }
