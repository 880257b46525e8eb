package signing_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

const ttl = 30 * time.Minute

// fixture returns the test key for alg from testdata, with the given ID
// and activation instant (created an hour before t0).
func fixture(t testing.TB, alg, id string, activatesAt time.Time) store.SigningKey {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", strings.ToLower(alg)+".pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("testdata for %s is not a PKCS#8 PEM block", alg)
	}
	return store.SigningKey{
		ID:          id,
		Algorithm:   alg,
		PrivateKey:  block.Bytes,
		CreatedAt:   t0.Add(-time.Hour),
		ActivatesAt: activatesAt,
	}
}

func newKeyring(t testing.TB, ks signing.KeyStore, clk *clock, alg string) *signing.Keyring {
	t.Helper()
	k := signing.NewKeyring(ks, signing.Options{Algorithm: alg, TokenTTL: ttl, Now: clk.Now})
	if err := k.Load(context.Background()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return k
}

func accessToken(now time.Time) *claims.AccessToken {
	return &claims.AccessToken{
		Issuer:    "https://auth.example",
		Subject:   "tester",
		Audience:  jwt.ClaimStrings{"https://api.example"},
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        "jti-1",
		ClientID:  "cli",
		Scope:     "items:read me",
		SessionID: "family-1",
	}
}

func mustSign(t testing.TB, k *signing.Keyring, now time.Time) string {
	t.Helper()
	tok, err := k.Sign(accessToken(now))
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}

// header decodes a compact JWS's header.
func header(t testing.TB, token string) map[string]any {
	t.Helper()
	seg, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatalf("header: %v", err)
	}
	return h
}

func kidOf(t testing.TB, token string) string {
	t.Helper()
	kid, _ := header(t, token)["kid"].(string)
	return kid
}

// jwksKids returns the key IDs in a JWKS document.
func jwksKids(t testing.TB, doc []byte) []string {
	t.Helper()
	var set jwks.Set
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	kids := []string{}
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// verifyWithJWKS verifies token as a relying party would: with the key of
// its kid from the published JWKS, decoded by pkg/jwks, accepting only alg.
func verifyWithJWKS(doc []byte, token, alg string, now time.Time) (*claims.AccessToken, error) {
	var set jwks.Set
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, err
	}
	keyfunc := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for _, k := range set.Keys {
			if k.Kid == kid {
				return k.PublicKey()
			}
		}
		return nil, fmt.Errorf("kid %q not in JWKS", kid)
	}
	var c claims.AccessToken
	_, err := jwt.ParseWithClaims(token, &c, keyfunc,
		jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(func() time.Time { return now }))
	return &c, err
}

// verifyWithKeyfunc verifies token's signature with k.Keyfunc, ignoring
// the claims' times.
func verifyWithKeyfunc(k *signing.Keyring, token string) error {
	_, err := jwt.Parse(token, k.Keyfunc, jwt.WithoutClaimsValidation())
	return err
}
