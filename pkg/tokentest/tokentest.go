package tokentest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// JWKSPath is where an Issuer serves its key set, as the fastsafe
// authorization server does.
const JWKSPath = "/.well-known/jwks.json"

// KeyID is the key id ("kid") of every Issuer's signing key.
const KeyID = "tokentest"

// Lifetime is how long the tokens of Claims are valid.
const Lifetime = 5 * time.Minute

// The key every Issuer of the process signs with.
var issuerKey = sync.OnceValue(NewKey)

// Issuer is an authorization server for tests: it signs access tokens and
// publishes the key that verifies them on a loopback HTTP server.
type Issuer struct {
	// URL is the issuer identifier, the "iss" of its tokens: the base URL
	// of its server, of the form http://127.0.0.1:port, with no trailing
	// slash.
	URL string
	srv *httptest.Server
}

// NewIssuer starts an Issuer. The caller should call Close when done with
// it. Like httptest.NewServer, it panics if it cannot listen.
func NewIssuer() *Issuer {
	jwk, err := jwks.FromPublicKey(KeyID, "RS256", issuerKey().Public())
	if err != nil {
		panic("tokentest: " + err.Error())
	}
	set := mustJSON(jwks.Set{Keys: []jwks.Key{jwk}})
	i := &Issuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+jwks.MetadataPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(mustJSON(map[string]string{
			"issuer":         i.URL,
			"token_endpoint": i.URL + "/token",
			"jwks_uri":       i.JWKSURL(),
		}))
	})
	mux.HandleFunc("GET "+JWKSPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(set)
	})
	i.srv = httptest.NewServer(mux)
	i.URL = i.srv.URL
	return i
}

// Close shuts the issuer's server down and waits for its requests to end.
func (i *Issuer) Close() { i.srv.Close() }

// JWKSURL returns the URL of the issuer's key set.
func (i *Issuer) JWKSURL() string { return i.URL + JWKSPath }

// Claims returns the claims of a valid token of the issuer for audience,
// granted scope (scope-tokens separated by spaces): subject "alice",
// client "web", a fresh jti, issued at now and expiring Lifetime later.
func (i *Issuer) Claims(audience, scope string, now time.Time) claims.AccessToken {
	return claims.AccessToken{
		Issuer:    i.URL,
		Subject:   "alice",
		Audience:  jwt.ClaimStrings{audience},
		ExpiresAt: jwt.NewNumericDate(now.Add(Lifetime)),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        rand.Text(),
		ClientID:  "web",
		Scope:     scope,
	}
}

// Sign returns c, as it is, signed with the issuer's key: an RS256 at+jwt
// with kid KeyID.
func (i *Issuer) Sign(c claims.AccessToken) string { return Sign(issuerKey(), KeyID, c) }

// Token returns a valid token of the issuer for audience, granted scope,
// issued now: Sign(Claims(audience, scope, time.Now())).
func (i *Issuer) Token(audience, scope string) string {
	return i.Sign(i.Claims(audience, scope, time.Now()))
}

// Verifier returns a verifier of the issuer's tokens for audience, with
// the clock now (nil for time.Now), and the key set it trusts discovered
// from the issuer's metadata and loaded. It panics if the key set cannot
// be loaded.
func (i *Issuer) Verifier(audience string, now func() time.Time) *verify.Verifier {
	keys, err := jwks.NewRemote(jwks.RemoteOptions{Issuer: i.URL, Now: now})
	if err == nil {
		err = keys.Refresh(context.Background())
	}
	if err != nil {
		panic("tokentest: loading the issuer's key set: " + err.Error())
	}
	v, err := verify.New(keys, verify.Options{Issuer: i.URL, Audience: audience, Now: now})
	if err != nil {
		panic("tokentest: " + err.Error())
	}
	return v
}

// NewKey returns a fresh 2048-bit RSA key that no Issuer publishes: the
// tokens it signs must be refused.
func NewKey() crypto.Signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("tokentest: " + err.Error())
	}
	return k
}

// Sign returns the claims c signed with key as an at+jwt under kid, with
// the algorithm of the key: RS256 for RSA, ES256, ES384 or ES512 for ECDSA
// on P-256, P-384 or P-521, EdDSA for Ed25519. It panics on any other key.
func Sign(key crypto.Signer, kid string, c claims.AccessToken) string {
	tok := jwt.NewWithClaims(method(key), &c)
	tok.Header["typ"] = claims.TokenType
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		panic("tokentest: " + err.Error())
	}
	return s
}

func method(key crypto.Signer) jwt.SigningMethod {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return jwt.SigningMethodRS256
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return jwt.SigningMethodES256
		case elliptic.P384():
			return jwt.SigningMethodES384
		case elliptic.P521():
			return jwt.SigningMethodES512
		}
	case ed25519.PrivateKey:
		return jwt.SigningMethodEdDSA
	}
	panic(fmt.Sprintf("tokentest: no signing algorithm for a %T", key))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("tokentest: " + err.Error())
	}
	return b
}
