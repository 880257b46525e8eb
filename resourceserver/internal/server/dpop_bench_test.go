package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/clientcred"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// BenchmarkDPoPSearch is /search with a DPoP-bound token and a fresh
// proof per request, through the whole Gin engine, the token cached: the
// proof verification and what a DPoP request costs beside it.
func BenchmarkDPoPSearch(b *testing.B) {
	auth := tokentest.NewIssuer()
	b.Cleanup(auth.Close)
	keys, err := jwks.NewRemote(jwks.RemoteOptions{URL: auth.JWKSURL()})
	if err != nil {
		b.Fatal(err)
	}
	if err := keys.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	v, err := verify.New(keys, verify.Options{Issuer: auth.URL, Audience: audience})
	if err != nil {
		b.Fatal(err)
	}
	cached, err := verify.NewCached(v, verify.CachedOptions{Size: 1000})
	if err != nil {
		b.Fatal(err)
	}
	key, err := clientcred.GenerateDPoPKey()
	if err != nil {
		b.Fatal(err)
	}
	c := auth.Claims(audience, ScopeSearch, time.Now())
	c.Confirmation = &claims.Confirmation{JKT: key.Thumbprint()}
	token := auth.Sign(c)
	dp, err := verify.NewDPoP(verify.DPoPOptions{})
	if err != nil {
		b.Fatal(err)
	}
	h, err := New(Options{
		Verifier: cached, Keys: keys, DPoP: dp, Issuer: auth.URL, Audience: audience,
		PublicURL: publicURL, TokenURL: auth.URL + "/token", DocsClientID: "docs",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now,
	})
	if err != nil {
		b.Fatal(err)
	}
	proofs := make([]string, b.N)
	for i := range proofs {
		if proofs[i], err = key.Proof(http.MethodGet, publicURL+"/search", token); err != nil {
			b.Fatal(err)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/search?query=apple", nil)
	r.Header.Set("Authorization", "DPoP "+token)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r.Header.Set("DPoP", proofs[i])
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
