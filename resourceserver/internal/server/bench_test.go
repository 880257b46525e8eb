package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/pkg/bearer"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// BenchmarkRoutes measures the public / and the protected /search through
// the whole Gin engine (request log included, to a discarding text
// handler), with the token cache and without; and /search with the cache
// traced, sampling nothing and sampling every request into a batch
// exporter that drops the spans (the cost of the spans, without the
// network). The other cases trace nothing, as a server without
// OTEL_EXPORTER_OTLP_ENDPOINT, and allocate what they did before tracing
// existed.
func BenchmarkRoutes(b *testing.B) {
	auth := tokentest.NewIssuer()
	b.Cleanup(auth.Close)
	keys, err := jwks.NewRemote(jwks.RemoteOptions{URL: auth.JWKSURL()})
	if err != nil {
		b.Fatal(err)
	}
	if err := keys.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	clock := func() time.Time { return now }
	v, err := verify.New(keys, verify.Options{Issuer: auth.URL, Audience: audience, Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	cached, err := verify.NewCached(v, verify.CachedOptions{Size: 1000})
	if err != nil {
		b.Fatal(err)
	}
	token := auth.Sign(auth.Claims(audience, ScopeSearch, now))
	traced := func(s sdktrace.Sampler) trace.TracerProvider {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(s), sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		return tp
	}
	for _, bc := range []struct {
		name, target string
		v            bearer.TokenVerifier
		tp           trace.TracerProvider
	}{
		{"root", "/", cached, nil},
		{"search cache hit", "/search?query=apple", cached, nil},
		{"search no cache", "/search?query=apple", v, nil},
		{"search cache hit traced, not sampled", "/search?query=apple", cached, traced(sdktrace.NeverSample())},
		{"search cache hit traced", "/search?query=apple", cached, traced(sdktrace.AlwaysSample())},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h, err := New(Options{
				Verifier: bc.v, Keys: keys, Issuer: auth.URL, Audience: audience,
				PublicURL: publicURL, TokenURL: auth.URL + "/token", AuthorizationURL: auth.URL + "/authorize", DocsClientID: "docs",
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clock, TracerProvider: bc.tp,
			})
			if err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest(http.MethodGet, bc.target, nil)
			r.Header.Set("Authorization", "Bearer "+token)
			b.Run("handler", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d", w.Code)
					}
				}
			})
			// Through a loopback connection, client and server in this
			// process: what a request costs end to end.
			b.Run("loopback", func(b *testing.B) {
				srv := httptest.NewServer(h)
				defer srv.Close()
				req, err := http.NewRequest(http.MethodGet, srv.URL+bc.target, nil)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+token)
				c := srv.Client()
				b.ReportAllocs()
				for b.Loop() {
					resp, err := c.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Fatalf("status %d", resp.StatusCode)
					}
				}
			})
		})
	}
}
