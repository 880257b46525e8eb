package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// Bench measures the calls on the request path, one at a time, so that
// backends, or two versions of one, can be compared at the store level.
// newStore must return a new, empty store and arrange for it to be closed.
func Bench(b *testing.B, newStore func(b *testing.B) store.Store) {
	b.Run("GetClient", func(b *testing.B) {
		s := newStore(b)
		c := store.Client{ID: "web", SecretHash: make([]byte, 32), Grants: []string{"password", "refresh_token"},
			Scopes: []string{"items:read", "me"}, Audience: []string{"https://api.example.com"}, CreatedAt: base, UpdatedAt: base}
		benchMust(b, s.CreateClient(b.Context(), c))
		for b.Loop() {
			_, err := s.GetClient(b.Context(), "web")
			benchMust(b, err)
		}
	})
	b.Run("GetUser", func(b *testing.B) {
		s := newStore(b)
		u := store.User{Username: "alice", Email: "alice@example.com", FullName: "Alice", PasswordHash: make([]byte, 60),
			Scopes: []string{"items:read", "me"}, CreatedAt: base, UpdatedAt: base}
		benchMust(b, s.CreateUser(b.Context(), u))
		for b.Loop() {
			_, err := s.GetUser(b.Context(), "alice")
			benchMust(b, err)
		}
	})
	b.Run("GetRefreshToken", func(b *testing.B) {
		s := newStore(b)
		f := sampleFamily("fam", "web", "alice", base)
		benchMust(b, s.CreateRefreshToken(b.Context(), f, sampleToken("t0", f, base)))
		for b.Loop() {
			_, _, err := s.GetRefreshToken(b.Context(), "t0")
			benchMust(b, err)
		}
	})
	b.Run("RotateRefreshToken", func(b *testing.B) {
		s := newStore(b)
		f := sampleFamily("fam", "web", "alice", base)
		benchMust(b, s.CreateRefreshToken(b.Context(), f, sampleToken("t0", f, base)))
		i := 0
		for b.Loop() {
			next := sampleToken(fmt.Sprintf("t%d", i+1), f, base.Add(time.Duration(i)))
			benchMust(b, rotate(s, b.Context(), fmt.Sprintf("t%d", i), base.Add(time.Duration(i)), next))
			i++
		}
	})
	b.Run("AccessTokenRevoked", func(b *testing.B) {
		s := newStore(b)
		benchMust(b, s.RevokeAccessToken(b.Context(), "jti", base.Add(time.Hour)))
		for b.Loop() {
			_, err := s.AccessTokenRevoked(b.Context(), "jti")
			benchMust(b, err)
		}
	})
}

func benchMust(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
