package sqlstore

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/pgtest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/storetest"
)

func BenchmarkAccessTokenRevoked(b *testing.B) {
	s, err := OpenSQLite(b.Context(), filepath.Join(b.TempDir(), "auth.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range 1000 {
		if err := s.RevokeAccessToken(b.Context(), fmt.Sprintf("jti-%d", i), clock.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.AccessTokenRevoked(b.Context(), "jti-500"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGetClient(b *testing.B) {
	s, err := OpenSQLite(b.Context(), filepath.Join(b.TempDir(), "auth.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateClient(b.Context(), store.Client{ID: "web", Grants: []string{"password"}, Scopes: []string{"a", "b"}}); err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.GetClient(b.Context(), "web"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRotateRefreshToken(b *testing.B) {
	s, err := OpenSQLite(b.Context(), filepath.Join(b.TempDir(), "auth.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: clock.Add(time.Hour)}
	if err := s.CreateRefreshToken(b.Context(), f, store.RefreshToken{ID: "t0", ExpiresAt: clock.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		next := store.RefreshToken{ID: fmt.Sprintf("t%d", i+1), Scopes: []string{"me"}, ExpiresAt: clock.Add(time.Hour)}
		if err := rotate(s, b.Context(), fmt.Sprintf("t%d", i), clock, next); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStore measures the request path's calls on each backend, on a
// new database.
func BenchmarkStore(b *testing.B) {
	for _, tb := range testBackends {
		b.Run(tb.name, func(b *testing.B) {
			if tb.d == postgresDialect {
				pgtest.BaseDSN(b)
			}
			storetest.Bench(b, func(b *testing.B) store.Store { return tb.fresh(b) })
		})
	}
}
