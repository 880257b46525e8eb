package tokentest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// Issuer identity and key id of the tokens.
const (
	IssuerURL = "http://auth.test"
	Audience  = "search-api"
	KeyID     = "tokentest-1"
)

// Generating an RSA key is slow; every issuer of a test binary shares one.
var key = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// Issuer serves a key set at a loopback URL and signs tokens.
type Issuer struct {
	key *rsa.PrivateKey
	srv *httptest.Server
}

// New starts an Issuer, stopped when the test ends.
func New(tb testing.TB) *Issuer {
	tb.Helper()
	k, err := key()
	if err != nil {
		tb.Fatal(err)
	}
	jwk, err := jwks.FromPublicKey(KeyID, "RS256", &k.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	set, err := json.Marshal(jwks.Set{Keys: []jwks.Key{jwk}})
	if err != nil {
		tb.Fatal(err)
	}
	i := &Issuer{key: k, srv: httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(set)
	}))}
	tb.Cleanup(i.srv.Close)
	return i
}

// Claims returns valid claims granted scope, issued at now, expiring an
// hour later.
func (i *Issuer) Claims(jti, scope string, now time.Time) claims.AccessToken {
	return claims.AccessToken{
		Issuer:    IssuerURL,
		Subject:   "alice",
		Audience:  jwt.ClaimStrings{Audience},
		ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        jti,
		ClientID:  "web",
		Scope:     scope,
	}
}

// Sign returns c signed as an RS256 at+jwt.
func (i *Issuer) Sign(tb testing.TB, c claims.AccessToken) string {
	tb.Helper()
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, &c)
	t.Header["typ"] = claims.TokenType
	t.Header["kid"] = KeyID
	s, err := t.SignedString(i.key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Verifier returns a verifier of the issuer's tokens for Audience, with
// its key set loaded, and the same verifier behind a cache of size
// entries.
func (i *Issuer) Verifier(tb testing.TB, now func() time.Time, size int) (*verify.Verifier, *verify.Cached) {
	tb.Helper()
	r, err := jwks.NewRemote(jwks.RemoteOptions{URL: i.srv.URL, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.Refresh(context.Background()); err != nil {
		tb.Fatal(err)
	}
	v, err := verify.New(r, verify.Options{Issuer: IssuerURL, Audience: Audience, Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	c, err := verify.NewCached(v, verify.CachedOptions{Size: size})
	if err != nil {
		tb.Fatal(err)
	}
	return v, c
}
