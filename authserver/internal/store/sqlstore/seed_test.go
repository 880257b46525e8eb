package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// TestSeed checks that seeded records are what the store's own methods
// read and use: a seeded refresh token rotates, seeded names are claimed.
func TestSeed(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		s := b.fresh(t)
		ctx := t.Context()
		const n = 2500 // more than one multi-row INSERT of users
		name := func(i int) string { return fmt.Sprintf("user-%04d", i) }
		if err := s.SeedUsers(ctx, n, func(i int) store.User {
			return store.User{Username: name(i), PasswordHash: []byte("hash"), Scopes: []string{"search"}, CreatedAt: clock, UpdatedAt: clock}
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.SeedClients(ctx, 3, func(i int) store.Client {
			return store.Client{ID: fmt.Sprintf("client-%d", i), SecretHash: []byte("secret"), Grants: []string{"refresh_token"}, CreatedAt: clock}
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.SeedRefreshTokens(ctx, n, func(i int) (store.RefreshFamily, store.RefreshToken) {
			f := store.RefreshFamily{ID: fmt.Sprintf("fam-%04d", i), ClientID: fmt.Sprintf("client-%d", i%3), Subject: name(i), CreatedAt: clock, ExpiresAt: clock.Add(time.Hour)}
			return f, store.RefreshToken{ID: fmt.Sprintf("tok-%04d", i), FamilyID: f.ID, Scopes: []string{"search"}, CreatedAt: clock, ExpiresAt: clock.Add(time.Hour)}
		}); err != nil {
			t.Fatal(err)
		}

		u, err := s.GetUser(ctx, name(n-1))
		if err != nil || string(u.PasswordHash) != "hash" || len(u.Scopes) != 1 {
			t.Fatalf("GetUser of a seeded user = %+v, %v", u, err)
		}
		c, err := s.GetClient(ctx, "client-2")
		if err != nil || c.Grants[0] != "refresh_token" {
			t.Fatalf("GetClient of a seeded client = %+v, %v", c, err)
		}
		tok, fam, err := s.GetRefreshToken(ctx, "tok-2001")
		if err != nil || tok.ClientID != "client-0" || tok.Subject != name(2001) || fam.ID != "fam-2001" {
			t.Fatalf("GetRefreshToken of a seeded token = %+v, %+v, %v", tok, fam, err)
		}
		if err := rotate(s, ctx, "tok-2001", clock.Add(time.Minute), store.RefreshToken{ID: "tok-2001-next", ExpiresAt: clock.Add(time.Hour)}); err != nil {
			t.Fatalf("rotating a seeded token: %v", err)
		}
		err = s.CreateClient(ctx, store.Client{ID: name(7), CreatedAt: clock})
		if err == nil {
			t.Fatal("a client took a seeded user's name")
		}
	})
}
