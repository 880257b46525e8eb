package bearer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/pkg/bearer"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// cachingVerifier is a TokenVerifier with a cache that can be bypassed; it
// counts which way each token went.
type cachingVerifier struct {
	cached, uncached int
}

var (
	_ bearer.TokenVerifier    = (*cachingVerifier)(nil)
	_ bearer.UncachedVerifier = (*cachingVerifier)(nil)
)

func (c *cachingVerifier) Verify(context.Context, string) (*claims.AccessToken, error) {
	c.cached++
	return &claims.AccessToken{Subject: "alice", Scope: "search"}, nil
}

func (c *cachingVerifier) VerifyUncached(context.Context, string) (*claims.AccessToken, error) {
	c.uncached++
	return &claims.AccessToken{Subject: "alice", Scope: "search"}, nil
}

// plainVerifier has no cache.
type plainVerifier struct{ calls int }

func (p *plainVerifier) Verify(context.Context, string) (*claims.AccessToken, error) {
	p.calls++
	return &claims.AccessToken{Subject: "alice", Scope: "search"}, nil
}

func serve(t *testing.T, h http.Handler) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/search", nil)
	r.Header.Set("Authorization", "Bearer abc.def.ghi")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := bearer.FromContext(r.Context()); !ok {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
}

func TestNoCacheBypassesTheCache(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		noCache              bool
		wantCached, wantLive int
	}{
		{"cache allowed", false, 1, 0},
		{"NoCache", true, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := &cachingVerifier{}
			serve(t, bearer.Authenticate(v, bearer.Options{NoCache: tt.noCache})(okHandler()))
			if v.cached != tt.wantCached || v.uncached != tt.wantLive {
				t.Errorf("Verify %d, VerifyUncached %d; want %d, %d", v.cached, v.uncached, tt.wantCached, tt.wantLive)
			}
		})
	}
	t.Run("NoCache with a verifier without cache", func(t *testing.T) {
		p := &plainVerifier{}
		serve(t, bearer.Authenticate(p, bearer.Options{NoCache: true})(okHandler()))
		if p.calls != 1 {
			t.Errorf("Verify called %d times, want 1", p.calls)
		}
		if bearer.Live(p) != bearer.TokenVerifier(p) {
			t.Error("Live wrapped a verifier that has no cache")
		}
	})
}

// BenchmarkAuthenticate measures the middleware in front of a handler that
// does nothing, with the real verifier (RS256) and its cache.
func BenchmarkAuthenticate(b *testing.B) {
	now := time.Now()
	clock := func() time.Time { return now }
	iss := tokentest.NewIssuer()
	b.Cleanup(iss.Close)
	v := iss.Verifier("search-api", clock)
	cached, err := verify.NewCached(v, verify.CachedOptions{Size: 1000})
	if err != nil {
		b.Fatal(err)
	}
	tok := iss.Sign(iss.Claims("search-api", "search", now))
	next := bearer.RequireScopes(bearer.Options{}, "search")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, bc := range []struct {
		name string
		v    bearer.TokenVerifier
	}{{"cache hit", cached}, {"no cache", v}} {
		b.Run(bc.name, func(b *testing.B) {
			h := bearer.Authenticate(bc.v, bearer.Options{})(next)
			r := httptest.NewRequest(http.MethodGet, "/search?query=apple", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		})
	}
}
