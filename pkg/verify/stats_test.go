package verify_test

import (
	"context"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/pkg/verify"
)

func TestCachedStats(t *testing.T) {
	f := newCacheFixture(t, 100)
	a := f.signer.sign("a", t0.Add(5*time.Minute))
	b := f.signer.sign("b", t0.Add(5*time.Minute))
	steps := []struct {
		token string
		want  verify.CacheStats
	}{
		{a, verify.CacheStats{Hits: 0, Misses: 1, Entries: 1}},
		{a, verify.CacheStats{Hits: 1, Misses: 1, Entries: 1}},
		{b, verify.CacheStats{Hits: 1, Misses: 2, Entries: 2}},
		{"not.a.token", verify.CacheStats{Hits: 1, Misses: 3, Entries: 2}}, // refused, not cached
		{a, verify.CacheStats{Hits: 2, Misses: 3, Entries: 2}},
	}
	for i, s := range steps {
		_, _ = f.cache.Verify(context.Background(), s.token)
		if got := f.cache.Stats(); got != s.want {
			t.Errorf("after step %d: Stats() = %+v, want %+v", i, got, s.want)
		}
	}
}
