package idtoken

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"slices"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// Scopes of OpenID Connect.
const (
	ScopeOpenID  = "openid"
	ScopeProfile = "profile"
	ScopeEmail   = "email"
)

// Profile is what the scopes profile and email release about a person.
type Profile struct {
	Name              string `json:"name,omitempty"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	Email             string `json:"email,omitempty"`
}

// ProfileOf returns what scopes release of u.
func ProfileOf(u store.User, scopes []string) Profile {
	var p Profile
	if slices.Contains(scopes, ScopeProfile) {
		p.Name, p.PreferredUsername = u.FullName, u.Username
	}
	if slices.Contains(scopes, ScopeEmail) {
		p.Email = u.Email
	}
	return p
}

// Claims are the claims of an ID token.
type Claims struct {
	Issuer          string           `json:"iss"`
	Subject         string           `json:"sub"`
	Audience        jwt.ClaimStrings `json:"aud"`
	ExpiresAt       *jwt.NumericDate `json:"exp"`
	IssuedAt        *jwt.NumericDate `json:"iat"`
	AuthTime        *jwt.NumericDate `json:"auth_time,omitempty"`
	Nonce           string           `json:"nonce,omitempty"`
	AuthorizedParty string           `json:"azp,omitempty"`
	AccessTokenHash string           `json:"at_hash,omitempty"`
	SessionID       string           `json:"sid,omitempty"`
	Profile
}

var _ jwt.Claims = (*Claims)(nil)

// GetExpirationTime implements jwt.Claims.
func (c *Claims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }

// GetIssuedAt implements jwt.Claims.
func (c *Claims) GetIssuedAt() (*jwt.NumericDate, error) { return c.IssuedAt, nil }

// GetNotBefore implements jwt.Claims.
func (c *Claims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }

// GetIssuer implements jwt.Claims.
func (c *Claims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements jwt.Claims.
func (c *Claims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements jwt.Claims.
func (c *Claims) GetAudience() (jwt.ClaimStrings, error) { return c.Audience, nil }

// AccessTokenHash is the at_hash of accessToken in an ID token signed with
// alg: the left half of the hash the algorithm uses, base64url (OpenID
// Connect Core §3.1.3.6). EdDSA with Ed25519 hashes with SHA-512, as
// relying parties such as coreos/go-oidc expect.
func AccessTokenHash(alg, accessToken string) string {
	var h hash.Hash
	switch alg {
	case "EdDSA", "RS512", "ES512", "PS512":
		h = sha512.New()
	default:
		h = sha256.New()
	}
	h.Write([]byte(accessToken))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}
