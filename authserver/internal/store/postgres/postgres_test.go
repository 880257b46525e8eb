package postgres

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/postgres/pgtest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/storetest"
)

// clock is the fixed time the store under test records its own times at.
var clock = time.Date(2031, time.January, 2, 3, 4, 5, 6, time.UTC)

func fixedClock() time.Time { return clock }

// open opens a store on dsn and closes it when the test ends.
func open(t *testing.T, dsn string, opts ...Option) *Store {
	t.Helper()
	opts = append([]Option{WithClock(fixedClock)}, opts...)
	s, err := Open(t.Context(), dsn, opts...)
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

// fresh opens a store on a new, empty schema.
func fresh(t *testing.T, opts ...Option) *Store {
	t.Helper()
	return open(t, pgtest.DSN(t), opts...)
}

func TestConformance(t *testing.T) {
	pgtest.BaseDSN(t) // skips the whole suite without a database
	storetest.Run(t, func(t *testing.T) store.Store { return fresh(t) })
}

// TestConformanceSerializable runs the suite with every transaction
// serializable, as CockroachDB runs them: contended transactions then fail
// with serialization errors, which the store must retry.
func TestConformanceSerializable(t *testing.T) {
	pgtest.BaseDSN(t) // skips the whole suite without a database
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, pgtest.WithParam(t, pgtest.DSN(t), "default_transaction_isolation", "serializable"))
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	dsn := pgtest.DSN(t)
	s1, err := Open(t.Context(), dsn, WithClock(fixedClock))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s1.CreateUser(t.Context(), store.User{Username: "alice"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if err := s1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s2 := open(t, dsn)
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
	if err := s2.pool.QueryRow(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(migrations) {
		t.Fatalf("schema_migrations has %d rows, want %d", rows, len(migrations))
	}
	var appliedAt int64
	if err := s2.pool.QueryRow(t.Context(), `SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&appliedAt); err != nil {
		t.Fatal(err)
	}
	if appliedAt != clock.UnixNano() {
		t.Fatalf("applied_at: got %d, want the clock's %d", appliedAt, clock.UnixNano())
	}
	if _, err := s2.GetUser(t.Context(), "alice"); err != nil {
		t.Fatalf("GetUser after reopening: %v", err)
	}
}

// TestConcurrentOpenOfFreshSchema starts several replicas at once on an
// empty schema: each migration is applied once and every Open succeeds.
func TestConcurrentOpenOfFreshSchema(t *testing.T) {
	const n = 6
	dsn := pgtest.DSN(t)
	stores := make([]*Store, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = Open(t.Context(), dsn, WithMaxConns(2))
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
	if err := stores[0].pool.QueryRow(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(migrations) {
		t.Fatalf("schema_migrations has %d rows, want %d", rows, len(migrations))
	}
}

// TestMigrationsWithoutAdvisoryLocks runs concurrent migrations the way
// they run on CockroachDB, with the primary key of schema_migrations as the
// only guard.
func TestMigrationsWithoutAdvisoryLocks(t *testing.T) {
	dsn := pgtest.DSN(t)
	const n = 4
	// Stores on the empty schema without running Open's migration.
	stores := make([]*Store, n)
	for i := range n {
		st, err := connect(t.Context(), dsn, WithClock(fixedClock), WithMaxConns(2))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		st.advisoryLocks.Store(false)
		stores[i] = st
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = stores[i].Migrate(t.Context())
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
	v, err := stores[0].SchemaVersion(t.Context())
	if err != nil || v != latestVersion() {
		t.Fatalf("SchemaVersion: %d, %v; want %d", v, err, latestVersion())
	}
	if err := stores[0].CreateUser(t.Context(), store.User{Username: "alice"}); err != nil {
		t.Fatalf("CreateUser on the migrated schema: %v", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dsn := pgtest.DSN(t)
	s, err := Open(t.Context(), dsn)
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

	s2, err := Open(t.Context(), dsn)
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
	s := fresh(t)
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
	if err := s.pool.QueryRow(t.Context(),
		`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'half_done'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("a failed migration left a table behind")
	}
}

// TestMigratedDatabaseNeedsNoDDL opens a migrated schema as a role that may
// only read and write rows, as a replica may run with less privilege than
// the operator who ran "authserver migrate".
func TestMigratedDatabaseNeedsNoDDL(t *testing.T) {
	dsn := pgtest.DSN(t)
	owner := open(t, dsn)
	var schema string
	if err := owner.pool.QueryRow(t.Context(), `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	// Revoke CREATE on the schema from the owner role itself for the
	// length of the test: Open must not need it.
	if _, err := owner.pool.Exec(t.Context(), `REVOKE CREATE ON SCHEMA `+schema+` FROM CURRENT_USER`); err != nil {
		t.Fatal(err)
	}
	var canCreate bool
	if err := owner.pool.QueryRow(t.Context(), `SELECT has_schema_privilege(current_schema(), 'CREATE')`).Scan(&canCreate); err != nil {
		t.Fatal(err)
	}
	if canCreate {
		t.Skip("the role keeps CREATE on its own schema (superuser); cannot check")
	}
	s := open(t, dsn)
	if err := s.CreateUser(t.Context(), store.User{Username: "alice"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
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
}

// TestMigrationsMatchSQLite checks that both backends number their
// migrations alike, so that a schema version means the same on both.
func TestMigrationsMatchSQLite(t *testing.T) {
	sqliteMigrations, err := loadMigrations(os.DirFS(".."), "sqlite/migrations")
	if err != nil {
		t.Fatal(err)
	}
	if len(sqliteMigrations) != len(migrations) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL migrations", len(sqliteMigrations), len(migrations))
	}
	for i, m := range migrations {
		if m.name != sqliteMigrations[i].name {
			t.Errorf("migration %d: %s here, %s for SQLite", m.version, m.name, sqliteMigrations[i].name)
		}
	}
}
