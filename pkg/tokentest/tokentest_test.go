package tokentest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

func TestSignUsesTheKeysAlgorithm(t *testing.T) {
	ec := func(c elliptic.Curve) crypto.Signer {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss := tokentest.NewIssuer()
	t.Cleanup(iss.Close)
	c := iss.Claims("search-api", "search", time.Now())
	for _, tt := range []struct {
		alg string
		key crypto.Signer
	}{
		{"RS256", tokentest.NewKey()},
		{"ES256", ec(elliptic.P256())},
		{"ES384", ec(elliptic.P384())},
		{"ES512", ec(elliptic.P521())},
		{"EdDSA", ed},
	} {
		t.Run(tt.alg, func(t *testing.T) {
			var got claims.AccessToken
			tok, err := jwt.ParseWithClaims(tokentest.Sign(tt.key, "kid-1", c), &got,
				func(*jwt.Token) (any, error) { return tt.key.Public(), nil }, jwt.WithValidMethods([]string{tt.alg}))
			if err != nil {
				t.Fatal(err)
			}
			if tok.Header["typ"] != claims.TokenType || tok.Header["kid"] != "kid-1" {
				t.Errorf("header = %v", tok.Header)
			}
			if got.Issuer != iss.URL || got.Subject != c.Subject || got.ID != c.ID || got.Scope != "search" {
				t.Errorf("claims = %+v, want %+v", got, c)
			}
		})
	}
	t.Run("P-224", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Error("signed with a key no JWS algorithm uses")
			}
		}()
		tokentest.Sign(ec(elliptic.P224()), "kid-1", c)
	})
}

func TestIssuerServesMetadataAndKeySet(t *testing.T) {
	iss := tokentest.NewIssuer()
	t.Cleanup(iss.Close)
	get := func(url string, v any) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var md struct{ Issuer, JWKSURI string }
	var set jwks.Set
	get(iss.URL+jwks.MetadataPath, &md)
	get(iss.JWKSURL(), &set)
	if md.Issuer != iss.URL || !strings.HasPrefix(iss.URL, "http://127.0.0.1:") {
		t.Errorf("issuer %q at %s", md.Issuer, iss.URL)
	}
	if len(set.Keys) != 1 || set.Keys[0].Kid != tokentest.KeyID || set.Keys[0].Alg != "RS256" {
		t.Errorf("key set %+v", set)
	}
}

func TestVerifierTrustsOnlyItsIssuer(t *testing.T) {
	iss, other := tokentest.NewIssuer(), tokentest.NewIssuer()
	t.Cleanup(iss.Close)
	t.Cleanup(other.Close)
	now := time.Now()
	v := iss.Verifier("search-api", func() time.Time { return now })
	for _, tt := range []struct {
		name  string
		token string
		want  error
	}{
		{"its token", iss.Token("search-api", "search"), nil},
		{"another issuer's", other.Token("search-api", "search"), verify.ErrIssuer},
		{"for another audience", iss.Token("billing-api", "search"), verify.ErrAudience},
		{"expired", iss.Sign(iss.Claims("search-api", "search", now.Add(-tokentest.Lifetime-time.Hour))), verify.ErrExpired},
		{"signed by an unknown key", tokentest.Sign(tokentest.NewKey(), tokentest.KeyID, iss.Claims("search-api", "search", now)), verify.ErrSignature},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(t.Context(), tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil && (c.Subject != "alice" || c.ClientID != "web" || !c.HasScope("search")) {
				t.Errorf("claims = %+v", c)
			}
		})
	}
}
