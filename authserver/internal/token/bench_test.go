package token

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store/backend"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// keyring is the server's real signer, with one key of alg in a SQLite
// store.
func keyring(b *testing.B, alg string) *signing.Keyring {
	b.Helper()
	ctx := context.Background()
	st, err := backend.Open(ctx, b.TempDir()+"/auth.db", slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	k := signing.NewKeyring(st, signing.Options{Algorithm: alg})
	if err := k.Load(ctx); err != nil {
		b.Fatal(err)
	}
	return k
}

// BenchmarkEngineBind is what binding a request's decision to a manager
// of its own costs (engine.bind), to hold against BenchmarkSign: the
// signature every access token costs anyway.
func BenchmarkEngineBind(b *testing.B) {
	e := newEngine("https://auth.example.com", accessTTL, refreshTTL, nil, nil, refreshRetry{}, func() {})
	d := &decision{grant: oauth2.PasswordCredentials, client: harnessClient("web"), now: time.Now(), subject: "kelvin", refresh: &refreshDecision{}}
	b.ReportAllocs()
	for b.Loop() {
		if e.bind(d, "web") == nil {
			b.Fatal("no manager")
		}
	}
}

// BenchmarkSign is one access token's signature by the server's keyring.
func BenchmarkSign(b *testing.B) {
	for _, alg := range signing.Algorithms() {
		b.Run(alg, func(b *testing.B) {
			k := keyring(b, alg)
			now := time.Now()
			c := &claims.AccessToken{
				Issuer: "https://auth.example.com", Subject: "svc", Audience: jwt.ClaimStrings{"api"},
				IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(accessTTL)), ID: "jti", ClientID: "svc", Scope: "search",
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Sign(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEngineIssue is a client_credentials token through the engine:
// binding, the manager's assembly and the signature.
func BenchmarkEngineIssue(b *testing.B) {
	for _, alg := range signing.Algorithms() {
		b.Run(alg, func(b *testing.B) {
			e := newEngine("https://auth.example.com", accessTTL, refreshTTL, keyring(b, alg), nil, refreshRetry{}, func() {})
			r := httptest.NewRequest("POST", "/token", nil)
			d, err := decideClientCredentials(harnessClient("svc"), clientCredentialsRequest{}, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.issue(ctx, r, "svc", &d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
