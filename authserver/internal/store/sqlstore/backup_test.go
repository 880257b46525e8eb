package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// TestBackupUnderWrites backs the database up while another store on the
// same file keeps adding refresh tokens, and checks that the copy is one
// consistent snapshot: every family in it has its token, the copy opens as
// a store, and it holds what was committed before the backup began.
func TestBackupUnderWrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.db")
	s := openSQLite(t, path)
	writer := openSQLite(t, path) // another process writing to the same file
	ctx := context.Background()

	addFamily := func(st *Store, i int) error {
		f := store.RefreshFamily{ID: fmt.Sprintf("f%06d", i), ClientID: "web", Subject: "alice", CreatedAt: clock, ExpiresAt: clock.AddDate(0, 1, 0)}
		tok := store.RefreshToken{ID: fmt.Sprintf("t%06d", i), FamilyID: f.ID, ClientID: "web", Subject: "alice", CreatedAt: clock, ExpiresAt: clock.AddDate(0, 0, 1)}
		return st.CreateRefreshToken(ctx, f, tok)
	}
	if err := s.CreateUser(ctx, store.User{Username: "alice", PasswordHash: []byte("hash"), CreatedAt: clock, UpdatedAt: clock}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateClient(ctx, store.Client{ID: "web", SecretHash: []byte("0123456789abcdef0123456789abcdef"), Grants: []string{"password"}, CreatedAt: clock, UpdatedAt: clock}); err != nil {
		t.Fatal(err)
	}
	const before = 50
	for i := range before {
		if err := addFamily(s, i); err != nil {
			t.Fatal(err)
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	var writeErr error
	wg.Go(func() {
		for i := before; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := addFamily(writer, i); err != nil {
				writeErr = err
				return
			}
			written.Add(1)
		}
	})

	backups := []string{filepath.Join(dir, "backup-1.db"), filepath.Join(dir, "sub", "..", "backup-2.db")}
	for _, b := range backups {
		if err := s.Backup(ctx, b); err != nil {
			t.Fatalf("Backup(%s): %v", b, err)
		}
	}
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("writing during the backup: %v", writeErr)
	}
	t.Logf("%d families written during the backups", written.Load())

	for _, b := range backups {
		fi, err := os.Stat(b)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %v, want 0600", b, perm)
		}
		restored := openSQLite(t, b)
		if _, err := restored.GetUser(ctx, "alice"); err != nil {
			t.Errorf("%s: user: %v", b, err)
		}
		if _, err := restored.GetClient(ctx, "web"); err != nil {
			t.Errorf("%s: client: %v", b, err)
		}
		var families, tokens int
		if err := restored.read.queryRow(ctx, `SELECT COUNT(*) FROM refresh_families`).Scan(&families); err != nil {
			t.Fatal(err)
		}
		if err := restored.read.queryRow(ctx, `SELECT COUNT(*) FROM refresh_tokens`).Scan(&tokens); err != nil {
			t.Fatal(err)
		}
		if families < before || families != tokens {
			t.Errorf("%s: %d families and %d tokens, want at least %d of each and as many of one as of the other", b, families, tokens, before)
		}
		for i := range before {
			if _, _, err := restored.GetRefreshToken(ctx, fmt.Sprintf("t%06d", i)); err != nil {
				t.Errorf("%s: token %d written before the backup: %v", b, i, err)
			}
		}
	}

	leftovers, err := filepath.Glob(filepath.Join(dir, ".*.partial"))
	if err != nil {
		t.Fatal(err)
	}
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestBackupRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.db")
	s := openSQLite(t, path)
	ctx := context.Background()

	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, dest := range []string{existing, path} {
		if err := s.Backup(ctx, dest); !errors.Is(err, ErrBackupExists) {
			t.Errorf("Backup(%s) = %v, want ErrBackupExists", dest, err)
		}
	}
	if b, err := os.ReadFile(existing); err != nil || string(b) != "keep me" {
		t.Errorf("existing file changed: %q, %v", b, err)
	}
	if err := s.Backup(ctx, filepath.Join(dir, "missing-dir", "b.db")); err == nil {
		t.Error("Backup into a missing directory succeeded")
	}
	if err := s.Backup(ctx, ""); err == nil {
		t.Error("Backup to an empty path succeeded")
	}
}
