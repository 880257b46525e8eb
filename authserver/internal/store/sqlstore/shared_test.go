package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// rotate rotates without a grace window, as every second use is reuse.
func rotate(s *Store, ctx context.Context, oldID string, now time.Time, next store.RefreshToken) error {
	_, err := s.RotateRefreshToken(ctx, oldID, now, next, 0)
	return err
}

// TestTwoStoresOnOneFile runs two Stores on the same file, as the server and
// the CLI do: each sees the other's writes, and both can write at once.
func TestTwoStoresOnOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	// A generous busy timeout: the test checks that writers wait for each
	// other, not how fast.
	server := openSQLite(t, path, WithBusyTimeout(2*time.Minute))
	cli := openSQLite(t, path, WithBusyTimeout(2*time.Minute))
	ctx := t.Context()

	if err := cli.CreateUser(ctx, store.User{Username: "alice", Scopes: []string{"me"}}); err != nil {
		t.Fatal(err)
	}
	if u, err := server.GetUser(ctx, "alice"); err != nil || len(u.Scopes) != 1 {
		t.Fatalf("server does not see the CLI's user: %+v, %v", u, err)
	}
	if err := server.CreateClient(ctx, store.Client{ID: "web"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.GetClient(ctx, "web"); err != nil {
		t.Fatalf("CLI does not see the server's client: %v", err)
	}
	if err := server.CreateUser(ctx, store.User{Username: "web"}); err == nil {
		t.Fatal("subject namespace not shared between stores")
	}

	// Concurrent writers in both stores, including read-modify-write
	// updates of one record.
	const writers, each = 3, 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers*each)
	for si, s := range []*Store{server, cli} {
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					jti := fmt.Sprintf("jti-%d-%d-%d", si, w, i)
					if err := s.RevokeAccessToken(ctx, jti, clock.Add(time.Hour)); err != nil {
						errs <- fmt.Errorf("RevokeAccessToken: %w", err)
						return
					}
					err := s.UpdateUser(ctx, "alice", func(u store.User) (store.User, error) {
						u.Scopes = append(u.Scopes, jti)
						return u, nil
					})
					if err != nil {
						errs <- fmt.Errorf("UpdateUser: %w", err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	for _, s := range []*Store{server, cli} {
		u, err := s.GetUser(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + 2*writers*each; len(u.Scopes) != want {
			t.Fatalf("user has %d scopes, want %d: updates were lost", len(u.Scopes), want)
		}
		for si := range 2 {
			jti := fmt.Sprintf("jti-%d-%d-%d", si, writers-1, each-1)
			if r, err := s.AccessTokenRevoked(ctx, jti); err != nil || !r {
				t.Fatalf("revocation %s not visible: %v, %v", jti, r, err)
			}
		}
	}
}

// TestRotationAcrossStores races rotations of one token through two Stores:
// the write lock, not a lock inside one Store, makes rotation atomic.
func TestRotationAcrossStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	a := openSQLite(t, path, WithBusyTimeout(2*time.Minute))
	b := openSQLite(t, path, WithBusyTimeout(2*time.Minute))
	ctx := t.Context()
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", CreatedAt: clock, ExpiresAt: clock.Add(time.Hour)}
	tok := store.RefreshToken{ID: "t1", FamilyID: "fam", ClientID: "web", Subject: "alice", CreatedAt: clock, ExpiresAt: clock.Add(time.Hour)}
	if err := a.CreateRefreshToken(ctx, f, tok); err != nil {
		t.Fatal(err)
	}
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		s := []*Store{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			next := tok
			next.ID = fmt.Sprintf("t2-%d", i)
			errs[i] = rotate(s, ctx, "t1", clock.Add(time.Minute), next)
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrTokenReused):
			t.Fatalf("rotation %d: %v", i, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d rotations succeeded, want 1", ok)
	}
}
