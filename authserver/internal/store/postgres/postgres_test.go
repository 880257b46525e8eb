package postgres

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/postgres/pgtest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/schema"
	"github.com/fastsafe/fastsafe/authserver/internal/store/schema/schematest"
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

func TestConformanceClock(t *testing.T) {
	pgtest.BaseDSN(t) // skips the whole suite without a database
	storetest.RunClock(t, clock, func(t *testing.T) store.Store { return fresh(t) })
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

// TestMigrations runs the migration suite on new schemas.
func TestMigrations(t *testing.T) {
	pgtest.BaseDSN(t) // skips the whole suite without a database
	schematest.Run(t, schematest.Backend[*Store]{
		Migrations:  migrations,
		TooNew:      ErrSchemaTooNew,
		Clock:       clock,
		NewDatabase: pgtest.DSN,
		Open: func(ctx context.Context, dsn string) (*Store, error) {
			// Few connections each, so that several stores fit the server.
			return Open(ctx, dsn, WithClock(fixedClock), WithMaxConns(2))
		},
		MigrateTo: func(ctx context.Context, s *Store, ms []schema.Migration) error { return s.migrate(ctx, ms) },
		Count: func(ctx context.Context, s *Store, query string) (n int64, err error) {
			err = s.pool.QueryRow(ctx, query).Scan(&n)
			return n, err
		},
		TableExists: func(ctx context.Context, s *Store, name string) (bool, error) {
			var exists bool
			err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.tables
WHERE table_schema = current_schema() AND table_name = $1)`, name).Scan(&exists)
			return exists, err
		},
	})
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
	if err != nil || v != schema.Latest(migrations) {
		t.Fatalf("SchemaVersion: %d, %v; want %d", v, err, schema.Latest(migrations))
	}
	if err := stores[0].CreateUser(t.Context(), store.User{Username: "alice"}); err != nil {
		t.Fatalf("CreateUser on the migrated schema: %v", err)
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

// TestMigrationsMatchSQLite checks that both backends number their
// migrations alike, so that a schema version means the same on both.
func TestMigrationsMatchSQLite(t *testing.T) {
	sqliteMigrations, err := schema.Load(os.DirFS(".."), "sqlite/migrations")
	if err != nil {
		t.Fatal(err)
	}
	if len(sqliteMigrations) != len(migrations) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL migrations", len(sqliteMigrations), len(migrations))
	}
	for i, m := range migrations {
		if m.Name != sqliteMigrations[i].Name {
			t.Errorf("migration %d: %s here, %s for SQLite", m.Version, m.Name, sqliteMigrations[i].Name)
		}
	}
}
