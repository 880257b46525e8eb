package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
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

// TestConformanceTwoProcesses runs the replica tests with two stores on one
// file, as a server and the command line (or two servers) share it.
func TestConformanceTwoProcesses(t *testing.T) {
	storetest.RunReplicas(t, func(t *testing.T) (a, b store.Store) {
		path := filepath.Join(t.TempDir(), "auth.db")
		return open(t, path), open(t, path)
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	s1, err := Open(t.Context(), path, WithClock(fixedClock))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s1.CreateUser(t.Context(), store.User{Username: "alice"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if err := s1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s2 := open(t, path)
	if err := s2.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate on a migrated database: %v", err)
	}
	v, err := s2.SchemaVersion(t.Context())
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	if v != latestVersion() {
		t.Fatalf("SchemaVersion: got %d, want %d", v, latestVersion())
	}
	var rows int
	if err := s2.read.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(migrations) {
		t.Fatalf("schema_migrations has %d rows, want %d", rows, len(migrations))
	}
	var appliedAt int64
	if err := s2.read.QueryRowContext(t.Context(), `SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&appliedAt); err != nil {
		t.Fatal(err)
	}
	if appliedAt != clock.UnixNano() {
		t.Fatalf("applied_at: got %d, want the clock's %d", appliedAt, clock.UnixNano())
	}
	if _, err := s2.GetUser(t.Context(), "alice"); err != nil {
		t.Fatalf("GetUser after reopening: %v", err)
	}
}

func TestConcurrentOpenOfFreshFile(t *testing.T) {
	const n = 6
	path := filepath.Join(t.TempDir(), "auth.db")
	stores := make([]*Store, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = Open(t.Context(), path, WithBusyTimeout(time.Minute))
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	if t.Failed() {
		t.FailNow()
	}
	var rows int
	if err := stores[0].read.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(migrations) {
		t.Fatalf("schema_migrations has %d rows, want %d", rows, len(migrations))
	}
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

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	// A newer binary adds a migration.
	next := migration{version: latestVersion() + 1, name: "9999_next.sql", sql: `CREATE TABLE next_feature (id TEXT PRIMARY KEY);`}
	if err := s.migrate(t.Context(), append(append([]migration(nil), migrations...), next)); err != nil {
		t.Fatalf("migrate to the next version: %v", err)
	}
	if v, err := s.SchemaVersion(t.Context()); err != nil || v != next.version {
		t.Fatalf("SchemaVersion: %d, %v; want %d", v, err, next.version)
	}
	if err := s.Migrate(t.Context()); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Migrate with an older binary: got %v, want %v", err, ErrSchemaTooNew)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(t.Context(), path)
	if !errors.Is(err, ErrSchemaTooNew) {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("Open: got %v, want %v", err, ErrSchemaTooNew)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(next.version)) {
		t.Fatalf("error does not name the database's version: %v", err)
	}
}

func TestFailedMigrationRollsBack(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "auth.db"))
	bad := migration{version: latestVersion() + 1, name: "9999_bad.sql",
		sql: `CREATE TABLE half_done (id TEXT); INSERT INTO no_such_table VALUES (1);`}
	err := s.migrate(t.Context(), append(append([]migration(nil), migrations...), bad))
	if err == nil || !strings.Contains(err.Error(), bad.name) {
		t.Fatalf("bad migration: got %v, want an error naming %s", err, bad.name)
	}
	if v, err := s.SchemaVersion(t.Context()); err != nil || v != latestVersion() {
		t.Fatalf("SchemaVersion after a failed migration: %d, %v; want %d", v, err, latestVersion())
	}
	var n int
	if err := s.read.QueryRowContext(t.Context(),
		`SELECT COUNT(*) FROM sqlite_schema WHERE name = 'half_done'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("a failed migration left a table behind")
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name     string
		fs       fstest.MapFS
		versions []int
		wantErr  bool
	}{
		{"in order", fstest.MapFS{
			"m/0002_b.sql": file("B"), "m/0001_a.sql": file("A"), "m/README": file("x"),
		}, []int{1, 2}, false},
		{"gap", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0003_c.sql": file("C")}, nil, true},
		{"duplicate", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0001_b.sql": file("B")}, nil, true},
		{"no number", fstest.MapFS{"m/init.sql": file("A")}, nil, true},
		{"zero", fstest.MapFS{"m/0000_a.sql": file("A")}, nil, true},
		{"empty", fstest.MapFS{"m/README": file("x")}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := loadMigrations(tc.fs, "m")
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %d migrations, want an error", len(ms))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.versions) {
				t.Fatalf("versions %v, want %v", got, tc.versions)
			}
		})
	}
	if len(migrations) == 0 || migrations[0].version != 1 {
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
