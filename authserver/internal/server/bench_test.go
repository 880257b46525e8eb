package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"golang.org/x/crypto/bcrypt"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/server"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

// benchServer is the whole HTTP surface of a server on a SQLite file, with
// the default settings (bcrypt cost 10, RS256) but for alg, logging to a
// discarding text handler, and one user and one client.
func benchServer(b testing.TB, alg string) http.Handler {
	b.Helper()
	return benchServerAt(b, alg, b.TempDir()+"/auth.db")
}

// benchServerAt is benchServer on the database file db, with opts.
func benchServerAt(b testing.TB, alg, db string, opts ...server.Option) http.Handler {
	b.Helper()
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return benchServerOn(b, st, func(c *config.Config) { c.SigningAlg = alg }, opts...).Handler()
}

// benchServerOn is benchServer on the store st, with the settings adjust
// changes, and opts.
func benchServerOn(b testing.TB, st store.Store, adjust func(*config.Config), opts ...server.Option) *server.Server {
	b.Helper()
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.Issuer = "http://auth.test"
	cfg.ShutdownDrain = 0 // no load balancer to wait for
	adjust(&cfg)
	now := time.Now().Truncate(time.Second)
	hash, err := bcrypt.GenerateFromPassword([]byte(userPassword), cfg.BcryptCost)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.CreateUser(ctx, store.User{Username: "tester", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	if err := st.CreateClient(ctx, store.Client{
		ID: "web", SecretHash: secret.Hash(webSecret), Grants: []string{"password", "refresh_token", "client_credentials"},
		Scopes: []string{"search"}, Audience: []string{"search-api"}, CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		b.Fatal(err)
	}
	s, err := server.New(ctx, cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func tokenRequest(form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("web:"+webSecret)))
	return r
}

func postToken(b testing.TB, h http.Handler, form url.Values) map[string]any {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, tokenRequest(form))
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkTokenEndpoint measures POST /token per grant, through the whole
// handler (routing, request log, client authentication, store): what a
// token costs beyond its signature and, for the password grant, its
// bcrypt at the default cost. The client_credentials/ES256 traced cases
// trace, sampling nothing or every request (its span and its store calls')
// into a batch exporter that drops the spans; the others trace nothing, as
// a server without OTEL_EXPORTER_OTLP_ENDPOINT, and allocate what they did
// before tracing existed.
func BenchmarkTokenEndpoint(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run("client_credentials/"+alg, func(b *testing.B) {
			h := benchServer(b, alg)
			form := url.Values{"grant_type": {"client_credentials"}, "scope": {"search"}}
			b.ReportAllocs()
			for b.Loop() {
				postToken(b, h, form)
			}
		})
	}
	for _, tc := range []struct {
		name    string
		sampler sdktrace.Sampler
	}{{"traced, not sampled", sdktrace.NeverSample()}, {"traced", sdktrace.AlwaysSample()}} {
		b.Run("client_credentials/ES256 "+tc.name, func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(tc.sampler), sdktrace.WithBatcher(tracetest.NewNoopExporter()))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			h := benchServerAt(b, "ES256", b.TempDir()+"/auth.db", server.WithTracerProvider(tp))
			form := url.Values{"grant_type": {"client_credentials"}, "scope": {"search"}}
			b.ReportAllocs()
			for b.Loop() {
				postToken(b, h, form)
			}
		})
	}
	b.Run("password/RS256", func(b *testing.B) {
		h := benchServer(b, "RS256")
		form := url.Values{"grant_type": {"password"}, "username": {"tester"}, "password": {userPassword}, "scope": {"search"}}
		b.ReportAllocs()
		for b.Loop() {
			postToken(b, h, form)
		}
	})
	b.Run("refresh_token/RS256", func(b *testing.B) {
		h := benchServer(b, "RS256")
		refresh := postToken(b, h, url.Values{"grant_type": {"password"}, "username": {"tester"}, "password": {userPassword}})["refresh_token"].(string)
		b.ReportAllocs()
		for b.Loop() {
			refresh = postToken(b, h, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})["refresh_token"].(string)
		}
	})
}

// BenchmarkJWKSHandler measures GET /.well-known/jwks.json, a document the
// keyring encodes when keys change, not per request.
func BenchmarkJWKSHandler(b *testing.B) {
	h := benchServer(b, "RS256")
	r := httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
