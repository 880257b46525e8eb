package schematest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/schema"
)

// Store is what the suite needs of a backend's store.
type Store interface {
	CreateUser(ctx context.Context, u store.User) error
	GetUser(ctx context.Context, username string) (store.User, error)
	Migrate(ctx context.Context) error
	SchemaVersion(ctx context.Context) (int, error)
	Close() error
}

// Backend is a backend under test.
type Backend[S Store] struct {
	// Migrations are the backend's embedded migrations.
	Migrations []schema.Migration
	// TooNew is the backend's error for a database newer than the binary.
	TooNew error
	// Clock is the time the stores Open returns record their own times at.
	Clock time.Time
	// NewDatabase returns a new, empty database (a file name, a connection
	// string) for Open, removed when the test ends.
	NewDatabase func(t testing.TB) string
	// Open opens a store on db, as the backend's Open does (applying the
	// migrations), with Clock as its clock. Several may run at once.
	Open func(ctx context.Context, db string) (S, error)
	// MigrateTo applies ms, in place of the embedded migrations, to s.
	MigrateTo func(ctx context.Context, s S, ms []schema.Migration) error
	// Count returns the result of query, a SELECT COUNT(*) or of one
	// integer column of one row, on s's database.
	Count func(ctx context.Context, s S, query string) (int64, error)
	// TableExists reports whether the table name exists in s's database.
	TableExists func(ctx context.Context, s S, name string) (bool, error)
}

// Run runs the suite.
func Run[S Store](t *testing.T, b Backend[S]) {
	tests := []struct {
		name string
		run  func(t *testing.T, b Backend[S])
	}{
		{"Idempotent", testIdempotent[S]},
		{"ConcurrentOpenOfEmptyDatabase", testConcurrentOpen[S]},
		{"NewerSchemaRefused", testNewerSchemaRefused[S]},
		{"FailedMigrationRollsBack", testFailedMigrationRollsBack[S]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, b) })
	}
}

// open opens a store on db and closes it when the test ends.
func (b Backend[S]) open(t *testing.T, db string) S {
	t.Helper()
	s, err := b.Open(t.Context(), db)
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

func (b Backend[S]) latest() int { return schema.Latest(b.Migrations) }

// wantRecorded fails t unless schema_migrations has a row for each
// migration.
func (b Backend[S]) wantRecorded(t *testing.T, s S) {
	t.Helper()
	rows, err := b.Count(t.Context(), s, `SELECT COUNT(*) FROM schema_migrations`)
	if err != nil {
		t.Fatal(err)
	}
	if rows != int64(len(b.Migrations)) {
		t.Fatalf("schema_migrations has %d rows, want %d", rows, len(b.Migrations))
	}
}

func testIdempotent[S Store](t *testing.T, b Backend[S]) {
	db := b.NewDatabase(t)
	s1, err := b.Open(t.Context(), db)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s1.CreateUser(t.Context(), store.User{Username: "alice"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if err := s1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s2 := b.open(t, db)
	if err := s2.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate on a migrated database: %v", err)
	}
	v, err := s2.SchemaVersion(t.Context())
	if err != nil {
		t.Fatalf("SchemaVersion: %v", err)
	}
	if v != b.latest() {
		t.Fatalf("SchemaVersion: got %d, want %d", v, b.latest())
	}
	b.wantRecorded(t, s2)
	appliedAt, err := b.Count(t.Context(), s2, `SELECT applied_at FROM schema_migrations WHERE version = 1`)
	if err != nil {
		t.Fatal(err)
	}
	if appliedAt != b.Clock.UnixNano() {
		t.Fatalf("applied_at: got %d, want the clock's %d", appliedAt, b.Clock.UnixNano())
	}
	if _, err := s2.GetUser(t.Context(), "alice"); err != nil {
		t.Fatalf("GetUser after reopening: %v", err)
	}
}

// testConcurrentOpen starts several stores at once on an empty database:
// each migration is applied once and every Open succeeds.
func testConcurrentOpen[S Store](t *testing.T, b Backend[S]) {
	const n = 6
	db := b.NewDatabase(t)
	stores := make([]S, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = b.Open(t.Context(), db)
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
	b.wantRecorded(t, stores[0])
}

func testNewerSchemaRefused[S Store](t *testing.T, b Backend[S]) {
	db := b.NewDatabase(t)
	s, err := b.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	// A newer binary adds a migration.
	next := schema.Migration{Version: b.latest() + 1, Name: "9999_next.sql", SQL: `CREATE TABLE next_feature (id TEXT PRIMARY KEY);`}
	if err := b.MigrateTo(t.Context(), s, append(append([]schema.Migration(nil), b.Migrations...), next)); err != nil {
		t.Fatalf("migrate to the next version: %v", err)
	}
	if v, err := s.SchemaVersion(t.Context()); err != nil || v != next.Version {
		t.Fatalf("SchemaVersion: %d, %v; want %d", v, err, next.Version)
	}
	if err := s.Migrate(t.Context()); !errors.Is(err, b.TooNew) {
		t.Fatalf("Migrate with an older binary: got %v, want %v", err, b.TooNew)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := b.Open(t.Context(), db)
	if !errors.Is(err, b.TooNew) {
		if err == nil {
			s2.Close()
		}
		t.Fatalf("Open: got %v, want %v", err, b.TooNew)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(next.Version)) {
		t.Fatalf("error does not name the database's version: %v", err)
	}
}

func testFailedMigrationRollsBack[S Store](t *testing.T, b Backend[S]) {
	s := b.open(t, b.NewDatabase(t))
	bad := schema.Migration{Version: b.latest() + 1, Name: "9999_bad.sql",
		SQL: `CREATE TABLE half_done (id TEXT); INSERT INTO no_such_table VALUES (1);`}
	err := b.MigrateTo(t.Context(), s, append(append([]schema.Migration(nil), b.Migrations...), bad))
	if err == nil || !strings.Contains(err.Error(), bad.Name) {
		t.Fatalf("bad migration: got %v, want an error naming %s", err, bad.Name)
	}
	if v, err := s.SchemaVersion(t.Context()); err != nil || v != b.latest() {
		t.Fatalf("SchemaVersion after a failed migration: %d, %v; want %d", v, err, b.latest())
	}
	exists, err := b.TableExists(t.Context(), s, "half_done")
	if err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatal("a failed migration left a table behind")
	}
}
