package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/golang-jwt/jwt/v5"
)

// KeyID is the kid of the server's signing key.
const KeyID = "test-key-1"

// Generating an RSA key is slow; every server of a test binary shares one.
var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error
)

func signingKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() { key, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	return key
}

// NewKey returns a fresh RSA key, for tokens the server's key set does not
// know.
func NewKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Server is the stand-in authorization server. Its issuer is its URL.
type Server struct {
	Issuer string
	key    *rsa.PrivateKey
	srv    *httptest.Server
}

// New starts a Server, closed when the test ends. It serves
// /.well-known/oauth-authorization-server and /jwks.json.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{key: signingKey(t)}
	jwk, err := jwks.FromPublicKey(KeyID, "RS256", &s.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	set, err := json.Marshal(jwks.Set{Keys: []jwks.Key{jwk}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+jwks.MetadataPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":         s.Issuer,
			"token_endpoint": s.Issuer + "/token",
			"jwks_uri":       s.JWKSURL(),
		})
	})
	mux.HandleFunc("GET /jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=300")
		_, _ = w.Write(set)
	})
	s.srv = httptest.NewServer(mux)
	s.Issuer = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// JWKSURL returns the URL of the server's key set.
func (s *Server) JWKSURL() string { return s.Issuer + "/jwks.json" }

// Claims returns the claims of a token of this issuer for aud, granted
// scope, issued at now and valid for five minutes.
func (s *Server) Claims(aud, scope string, now time.Time) claims.AccessToken {
	return claims.AccessToken{
		Issuer:    s.Issuer,
		Subject:   "alice",
		Audience:  jwt.ClaimStrings{aud},
		ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute)),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        "jti-" + now.Format("150405.000000000"),
		ClientID:  "web",
		Scope:     scope,
	}
}

// Token signs c with the server's key: an RS256 JWT with typ at+jwt and
// the server's kid.
func (s *Server) Token(t testing.TB, c claims.AccessToken) string {
	t.Helper()
	return Sign(t, s.key, KeyID, c)
}

// Sign signs c with key as an RS256 at+jwt with kid.
func Sign(t testing.TB, key *rsa.PrivateKey, kid string, c claims.AccessToken) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, &c)
	tok.Header["typ"] = claims.TokenType
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}
