package sqlstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/pgtest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/schema"
	"github.com/fastsafe/fastsafe/authserver/internal/store/schema/schematest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/storetest"
)

// clock is the fixed time the store under test records its own times at.
var clock = time.Date(2031, time.January, 2, 3, 4, 5, 6, time.UTC)

func fixedClock() time.Time { return clock }

// testBackend is a database the suites run on.
type testBackend struct {
	name string
	d    *dialect
	// newDatabase returns a new, empty database: a file, or a schema of
	// the test PostgreSQL server; it skips the test where there is none.
	newDatabase func(t testing.TB) string
	openFunc    func(ctx context.Context, db string, opts ...Option) (*Store, error)
	// connect opens a store without migrating.
	connect func(ctx context.Context, db string, opts ...Option) (*Store, error)
	// shared are the options of stores that open one new database at once.
	shared []Option
}

var testBackends = []testBackend{
	{"sqlite", sqliteDialect, func(t testing.TB) string { return filepath.Join(t.TempDir(), "auth.db") }, OpenSQLite, connectSQLite,
		// They wait for each other's migrations.
		[]Option{WithBusyTimeout(time.Minute)}},
	{"postgres", postgresDialect, pgtest.DSN, OpenPostgres, connectPostgres,
		// Few connections each, so that several stores fit the server.
		[]Option{WithMaxConns(2)}},
}

// eachBackend runs test for each backend, as a subtest named after it.
func eachBackend(t *testing.T, test func(t *testing.T, b testBackend)) {
	for _, b := range testBackends {
		t.Run(b.name, func(t *testing.T) {
			if b.d == postgresDialect {
				pgtest.BaseDSN(t) // skips without a database
			}
			test(t, b)
		})
	}
}

// open opens a store on db with the fixed clock and closes it when the
// test ends.
func (b testBackend) open(t testing.TB, db string, opts ...Option) *Store {
	t.Helper()
	s, err := b.openFunc(context.Background(), db, append([]Option{WithClock(fixedClock)}, opts...)...)
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

// fresh opens a store on a new, empty database.
func (b testBackend) fresh(t testing.TB, opts ...Option) *Store {
	t.Helper()
	return b.open(t, b.newDatabase(t), opts...)
}

var (
	sqliteBackend   = testBackends[0]
	postgresBackend = testBackends[1]
)

// openSQLite opens a SQLite store at path, as testBackend.open does.
func openSQLite(t testing.TB, path string, opts ...Option) *Store {
	t.Helper()
	return sqliteBackend.open(t, path, opts...)
}

// openPostgres opens a PostgreSQL store on dsn, as testBackend.open does.
func openPostgres(t testing.TB, dsn string, opts ...Option) *Store {
	t.Helper()
	return postgresBackend.open(t, dsn, opts...)
}

func TestConformance(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		storetest.Run(t, func(t *testing.T) store.Store { return b.fresh(t) })
	})
}

func TestConformanceClock(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		storetest.RunClock(t, clock, func(t *testing.T) store.Store { return b.fresh(t) })
	})
}

// TestReplicas runs the shared-database tests with two Stores on one
// database, each with its own connections, as two replicas, or a server
// and the command line, have.
func TestReplicas(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		storetest.RunReplicas(t, func(t *testing.T) (store.Store, store.Store) {
			db := b.newDatabase(t)
			return b.open(t, db), b.open(t, db)
		})
	})
}

// TestMigrations runs the migration suite on new databases.
func TestMigrations(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		schematest.Run(t, schematest.Backend[*Store]{
			Migrations:  migrations[b.d],
			TooNew:      ErrSchemaTooNew,
			Clock:       clock,
			NewDatabase: b.newDatabase,
			Open: func(ctx context.Context, db string) (*Store, error) {
				return b.openFunc(ctx, db, append([]Option{WithClock(fixedClock)}, b.shared...)...)
			},
			MigrateTo: func(ctx context.Context, s *Store, ms []schema.Migration) error { return s.migrate(ctx, ms) },
			Count: func(ctx context.Context, s *Store, query string) (n int64, err error) {
				err = s.read.queryRow(ctx, query).Scan(&n)
				return n, err
			},
			TableExists: func(ctx context.Context, s *Store, name string) (exists bool, err error) {
				err = s.read.queryRow(ctx, s.sql[qTableExists], name).Scan(&exists)
				return exists, err
			},
		})
	})
}

// TestDeleteExpiredBatches removes more rows than one batch holds in one
// call.
func TestDeleteExpiredBatches(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testBackend) {
		s := b.fresh(t)
		ctx := t.Context()
		const n = 25
		for i := range n {
			if err := s.RevokeAccessToken(ctx, "jti-"+string(rune('A'+i)), clock.Add(-time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.deleteExpired(ctx, clock, 4)
		if err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Fatalf("removed %d, want %d", got, n)
		}
		// Families, each with its token.
		for i := range n {
			f := store.RefreshFamily{ID: "fam-" + string(rune('A'+i)), ClientID: "web", Subject: "alice", ExpiresAt: clock.Add(-time.Second)}
			if err := s.CreateRefreshToken(ctx, f, store.RefreshToken{ID: f.ID + "-t1", ExpiresAt: f.ExpiresAt}); err != nil {
				t.Fatal(err)
			}
		}
		if got, err = s.deleteExpired(ctx, clock, 4); err != nil {
			t.Fatal(err)
		}
		if got != 2*n {
			t.Fatalf("removed %d, want %d families and tokens", got, 2*n)
		}
	})
}
