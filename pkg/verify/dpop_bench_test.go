package verify

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkDPoPVerify is one proof verification at a resource, as
// /search with DPoP pays it: ES256, with ath and the replay cache.
func BenchmarkDPoPVerify(b *testing.B) {
	k := newProofKey(b, "ES256")
	const url, token = "http://127.0.0.1:8000/search", "the-access-token"
	proofs := make([]string, b.N)
	for i := range proofs {
		proofs[i] = k.proof(b, "GET", url, func(c jwt.MapClaims, _ map[string]any) { c["ath"] = ath(token) })
	}
	v, err := NewDPoP(DPoPOptions{Now: func() time.Time { return dpopNow }})
	if err != nil {
		b.Fatal(err)
	}
	req := DPoPRequest{Method: "GET", URL: url, AccessToken: token, JKT: k.thumbprint(b)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := v.Verify(context.Background(), proofs[i], req); err != nil {
			b.Fatal(err)
		}
	}
}
