package signing_test

import (
	"context"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/signing"
)

func BenchmarkSign(b *testing.B) {
	for _, alg := range signing.Algorithms() {
		b.Run(alg, func(b *testing.B) {
			ks := newMemStore(fixture(b, alg, "bench", t0))
			k := signing.NewKeyring(ks, signing.Options{Now: func() time.Time { return t0 }})
			if err := k.Load(context.Background()); err != nil {
				b.Fatal(err)
			}
			c := accessToken(t0)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Sign(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkJWKS(b *testing.B) {
	ks := newMemStore(fixture(b, signing.RS256, "a", t0), fixture(b, signing.ES256, "b", t0.Add(time.Hour)))
	k := signing.NewKeyring(ks, signing.Options{TokenTTL: time.Hour, Now: func() time.Time { return t0.Add(90 * time.Minute) }})
	if err := k.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(k.JWKS()) == 0 {
			b.Fatal("empty JWKS")
		}
	}
}
