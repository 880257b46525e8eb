package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/schema"
	"github.com/fastsafe/fastsafe/authserver/internal/store/schema/schematest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/storetest"
)

// clock is the fixed time the store under test records its own times at.
var clock = time.Date(2031, time.January, 2, 3, 4, 5, 6, time.UTC)

func fixedClock() time.Time { return clock }

// open opens a store at path and closes it when the test ends.
func open(t *testing.T, path string, opts ...Option) *Store {
	t.Helper()
	opts = append([]Option{WithClock(fixedClock)}, opts...)
	s, err := Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "auth.db"))
	})
}

func TestConformanceClock(t *testing.T) {
	storetest.RunClock(t, clock, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "auth.db"))
	})
}

// TestConformanceTwoProcesses runs the replica tests with two stores on one
// file, as a server and the command line (or two servers) share it.
func TestConformanceTwoProcesses(t *testing.T) {
	storetest.RunReplicas(t, func(t *testing.T) (a, b store.Store) {
		path := filepath.Join(t.TempDir(), "auth.db")
		return open(t, path), open(t, path)
	})
}

// TestMigrations runs the migration suite on database files.
func TestMigrations(t *testing.T) {
	schematest.Run(t, schematest.Backend[*Store]{
		Migrations:  migrations,
		TooNew:      ErrSchemaTooNew,
		Clock:       clock,
		NewDatabase: func(t testing.TB) string { return filepath.Join(t.TempDir(), "auth.db") },
		Open: func(ctx context.Context, path string) (*Store, error) {
			// Stores opening one new file at once wait for each other's
			// migrations.
			return Open(ctx, path, WithClock(fixedClock), WithBusyTimeout(time.Minute))
		},
		MigrateTo: func(ctx context.Context, s *Store, ms []schema.Migration) error { return s.migrate(ctx, ms) },
		Count: func(ctx context.Context, s *Store, query string) (n int64, err error) {
			err = s.read.QueryRowContext(ctx, query).Scan(&n)
			return n, err
		},
		TableExists: func(ctx context.Context, s *Store, name string) (bool, error) {
			var n int
			err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = ?`, name).Scan(&n)
			return n > 0, err
		},
	})
}

func TestFileMode(t *testing.T) {
	t.Run("new file and directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state", "fastsafe")
		path := filepath.Join(dir, "auth.db")
		s := open(t, path)
		if err := s.CreateUser(t.Context(), store.User{Username: "alice"}); err != nil {
			t.Fatal(err)
		}
		assertMode(t, path, 0o600)
		assertMode(t, dir, 0o700|os.ModeDir)
		// SQLite gives the WAL the database file's mode.
		assertMode(t, path+"-wal", 0o600)
	})
	t.Run("existing file open to others", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "auth.db")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
			t.Fatal(err)
		}
		open(t, path)
		assertMode(t, path, 0o600)
	})
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (os.ModeDir | os.ModePerm); got != want {
		t.Fatalf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}

func TestPathWithSpecialCharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?x=1&_txlock=deferred#frag%20")
	path := filepath.Join(dir, "auth.db")
	s := open(t, path)
	if err := s.CreateUser(t.Context(), store.User{Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the path given: %v", err)
	}
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("expected only the database directory, found %d entries", len(entries))
	}
}

// TestEmbeddedMigrations checks the migrations built into the binary.
func TestEmbeddedMigrations(t *testing.T) {
	if len(migrations) == 0 || migrations[0].Version != 1 {
		t.Fatal("embedded migrations do not start at version 1")
	}
}

func TestConnectionSettings(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "auth.db"))
	tests := []struct {
		pool   string
		db     *sql.DB
		pragma string
		want   string
	}{
		{"write", s.write, "journal_mode", "wal"},
		{"write", s.write, "foreign_keys", "1"},
		{"write", s.write, "synchronous", "1"}, // NORMAL
		{"write", s.write, "busy_timeout", "5000"},
		{"read", s.read, "journal_mode", "wal"},
		{"read", s.read, "busy_timeout", "5000"},
		{"read", s.read, "query_only", "1"},
	}
	for _, tc := range tests {
		t.Run(tc.pool+"/"+tc.pragma, func(t *testing.T) {
			var got string
			if err := tc.db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("%s = %s, want %s", tc.pragma, got, tc.want)
			}
		})
	}
	if _, err := s.read.ExecContext(t.Context(), `INSERT INTO revoked_access_tokens VALUES ('x', 1)`); err == nil {
		t.Fatal("read connection accepted a write")
	}
}
