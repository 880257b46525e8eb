package sqlstore

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func TestFileMode(t *testing.T) {
	t.Run("new file and directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state", "fastsafe")
		path := filepath.Join(dir, "auth.db")
		s := openSQLite(t, path)
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
		openSQLite(t, path)
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
	s := openSQLite(t, path)
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
	for d, ms := range migrations {
		if len(ms) == 0 || ms[0].Version != 1 {
			t.Fatalf("%s: embedded migrations do not start at version 1", d.name)
		}
	}
}

func TestConnectionSettings(t *testing.T) {
	s := openSQLite(t, filepath.Join(t.TempDir(), "auth.db"))
	write, read := s.write.(*sqlPool).db, s.read.(*sqlPool).db
	tests := []struct {
		pool   string
		db     *sql.DB
		pragma string
		want   string
	}{
		{"write", write, "journal_mode", "wal"},
		{"write", write, "foreign_keys", "1"},
		{"write", write, "synchronous", "1"}, // NORMAL
		{"write", write, "busy_timeout", "5000"},
		{"read", read, "journal_mode", "wal"},
		{"read", read, "busy_timeout", "5000"},
		{"read", read, "query_only", "1"},
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
	if _, err := read.ExecContext(t.Context(), `INSERT INTO revoked_access_tokens VALUES ('x', 1)`); err == nil {
		t.Fatal("read connection accepted a write")
	}
}
