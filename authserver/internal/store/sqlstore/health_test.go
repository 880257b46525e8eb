package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/pgtest"
	"github.com/fastsafe/fastsafe/internal/tmpfs"
)

// wantCause fails t unless err wraps cause and says it in words.
func wantCause(t *testing.T, what string, err, cause error) {
	t.Helper()
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), cause.Error()) {
		t.Fatalf("%s: %v, want an error naming %q", what, err, cause)
	}
}

func mustCheckWrite(t *testing.T, s *Store) {
	t.Helper()
	if err := s.CheckWrite(t.Context(), clock); err != nil {
		t.Fatalf("CheckWrite: %v", err)
	}
}

func TestCheckWriteLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	s := openSQLite(t, path, WithBusyTimeout(50*time.Millisecond))
	mustCheckWrite(t, s)

	// Another process takes the write lock and keeps it.
	other, err := sql.Open("sqlite", dsn(path, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	wantCause(t, "CheckWrite while another process holds the lock", s.CheckWrite(t.Context(), clock), store.ErrLocked)
	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	mustCheckWrite(t, s)
}

func TestCheckWriteDatabaseGone(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"file deleted", func(t *testing.T, path string) {
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
			}
		}},
		{"directory deleted", func(t *testing.T, path string) {
			if err := os.RemoveAll(filepath.Dir(path)); err != nil {
				t.Fatal(err)
			}
		}},
		{"file replaced", func(t *testing.T, path string) {
			if err := os.Rename(path, path+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("another file"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data", "auth.db")
			s := openSQLite(t, path)
			mustCheckWrite(t, s)
			tt.damage(t, path)
			// Writes to the open file still succeed, into a file nobody
			// will read again: the check must not be fooled.
			wantCause(t, "CheckWrite", s.CheckWrite(t.Context(), clock), store.ErrMissing)
		})
	}
}

// TestCheckWriteDiskFull fills the file system of a store until its log
// cannot grow: the check fails, naming the full disk, and passes again by
// itself once space is freed; the checkpoint then gives the log's space
// back.
func TestCheckWriteDiskFull(t *testing.T) {
	fs := tmpfs.Mount(t, 2<<20)
	path := filepath.Join(fs.Dir, "auth.db")
	s := openSQLite(t, path)
	mustCheckWrite(t, s)
	if err := s.Checkpoint(t.Context()); err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	filler := fs.Fill()
	wantCause(t, "CheckWrite on a full disk", s.CheckWrite(t.Context(), clock), store.ErrDiskFull)
	// The requests fail too, and the store keeps its data.
	err := s.CreateUser(t.Context(), store.User{Username: "bob", CreatedAt: clock, UpdatedAt: clock})
	if err == nil {
		t.Fatal("CreateUser on a full disk succeeded")
	}
	fs.Free(filler)
	mustCheckWrite(t, s)

	// The log fills what is left of the disk: writes go on until there is
	// no room, and none checkpoints the log, which SQLite would do by
	// itself only at 4 MB, more than this disk holds.
	ballast := filepath.Join(fs.Dir, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	var i int
	for i = 0; ; i++ {
		u := store.User{Username: fmt.Sprintf("user%06d", i), FullName: strings.Repeat("x", 2000), CreatedAt: clock, UpdatedAt: clock}
		if err := s.CreateUser(t.Context(), u); err != nil {
			break
		}
	}
	if i == 0 {
		t.Fatal("no write succeeded before the disk was full")
	}
	wantCause(t, "CheckWrite with the log filling the disk", s.CheckWrite(t.Context(), clock), store.ErrDiskFull)
	// The operator frees space: the store writes again, and the
	// checkpoint gives the log's space back.
	fs.Free(ballast)
	mustCheckWrite(t, s)
	before := fs.Available()
	if err := s.Checkpoint(t.Context()); err != nil {
		t.Fatalf("Checkpoint once space is freed: %v", err)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() != 0 {
		t.Fatalf("write-ahead log after the checkpoint: %v; want an empty file", err)
	}
	if after := fs.Available(); after <= before {
		t.Errorf("free space %d before the checkpoint, %d after: the log's space did not come back", before, after)
	}
	if _, err := s.GetUser(t.Context(), fmt.Sprintf("user%06d", i-1)); err != nil {
		t.Fatalf("the last user written before the disk filled: %v", err)
	}
}

// TestDiagnoseReadOnly: SQLite's refusal to write (a read-only file or
// connection) is named. (A tmpfs cannot be remounted read-only under a
// process that has files open for writing, so that a file system turning
// read-only under a running store is not reproduced here; it fails writes
// with EROFS, named the same.)
func TestDiagnoseReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	openSQLite(t, path)
	db, err := sql.Open("sqlite", dsn(path, map[string][]string{"_query_only": {"1"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(t.Context(), `DELETE FROM users`)
	if err == nil {
		t.Fatal("a write on a read-only connection succeeded")
	}
	wantCause(t, "a write on a read-only connection", diagnoseFile(path, err), store.ErrReadOnly)
	wantCause(t, "EROFS", diagnoseFile(path, &os.PathError{Op: "write", Path: path, Err: syscall.EROFS}), store.ErrReadOnly)
}

// TestOpenNamesTheCause: opening a database where it cannot be written
// says why, in words.
func TestOpenNamesTheCause(t *testing.T) {
	full := tmpfs.Mount(t, 1<<20)
	full.Fill()
	_, err := OpenSQLite(t.Context(), filepath.Join(full.Dir, "auth.db"))
	wantCause(t, "OpenSQLite on a full disk", err, store.ErrDiskFull)

	ro := tmpfs.Mount(t, 1<<20)
	ro.ReadOnly()
	_, err = OpenSQLite(t.Context(), filepath.Join(ro.Dir, "auth.db"))
	wantCause(t, "OpenSQLite on a read-only file system", err, store.ErrReadOnly)
}

func TestOpenExisting(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope", "auth.db")
	_, err := OpenSQLite(t.Context(), missing, WithExisting())
	wantCause(t, "OpenSQLite of a missing file", err, store.ErrMissing)
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenSQLite with WithExisting created %s: %v", filepath.Dir(missing), err)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = OpenSQLite(t.Context(), empty, WithExisting())
	wantCause(t, "OpenSQLite of an empty file", err, store.ErrMissing)

	created := filepath.Join(dir, "auth.db")
	openSQLite(t, created)
	openSQLite(t, created, WithExisting())
}

func TestCheckpointTruncatesTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	s := openSQLite(t, path)
	for i := range 50 {
		if err := s.CreateUser(t.Context(), store.User{Username: fmt.Sprintf("u%d", i), CreatedAt: clock, UpdatedAt: clock}); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil || fi.Size() == 0 {
		t.Fatalf("no write-ahead log after writes: %v", err)
	}
	if err := s.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() != 0 {
		t.Fatalf("write-ahead log after the checkpoint: %v, %v; want an empty file", fi.Size(), err)
	}
	if _, err := s.GetUser(t.Context(), "u49"); err != nil {
		t.Fatal(err)
	}
}

// TestCheckWritePostgres: a PostgreSQL database that takes no writes (a
// standby, or one set read-only) makes the check fail, naming why; one
// without schema is missing.
func TestCheckWritePostgres(t *testing.T) {
	dsn := postgresBackend.newDatabase(t)
	s := openPostgres(t, dsn)
	mustCheckWrite(t, s)
	ro := openPostgres(t, pgtest.WithParam(t, dsn, "default_transaction_read_only", "on"))
	wantCause(t, "CheckWrite on a read-only session", ro.CheckWrite(t.Context(), clock), store.ErrReadOnly)

	_, err := OpenPostgres(context.Background(), postgresBackend.newDatabase(t), WithExisting())
	wantCause(t, "OpenPostgres of a schema without tables", err, store.ErrMissing)
}
