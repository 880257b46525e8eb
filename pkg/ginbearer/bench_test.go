package ginbearer_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fastsafe/fastsafe/pkg/bearer"
	"github.com/fastsafe/fastsafe/pkg/ginbearer"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// BenchmarkGin measures a Gin route behind Authenticate and RequireScopes
// with the real verifier (RS256), with and without its cache, against the
// same route unprotected.
func BenchmarkGin(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
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
	ok := func(c *gin.Context) { c.Status(http.StatusNoContent) }
	for _, bc := range []struct {
		name string
		v    bearer.TokenVerifier
	}{{"unprotected", nil}, {"cache hit", cached}, {"no cache", v}} {
		b.Run(bc.name, func(b *testing.B) {
			e := gin.New()
			if bc.v == nil {
				e.GET("/search", ok)
			} else {
				e.GET("/search", ginbearer.Authenticate(bc.v, bearer.Options{}), ginbearer.RequireScopes(bearer.Options{}, "search"), ok)
			}
			r := httptest.NewRequest(http.MethodGet, "/search?query=apple", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				e.ServeHTTP(w, r)
			}
			if w.Code != http.StatusNoContent {
				b.Fatalf("status %d", w.Code)
			}
		})
	}
}
