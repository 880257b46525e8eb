package sqlstore

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/fastsafe/fastsafe/authserver/internal/store/schema"
)

// ErrSchemaTooNew is returned by Open and Migrate for a database whose
// schema was written by a newer version of the server.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary supports; upgrade the binary")

// migrationFiles are the one list of migrations. A new migration is one
// file NNNN_name.sql, written once for both dialects with the tokens of
// dialect.translate; the first ones were written for each dialect
// (NNNN_name.sqlite.sql, NNNN_name.postgres.sql) and stay as they were
// applied.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are each dialect's migrations in version order, shared ones
// translated.
var migrations = map[*dialect][]schema.Migration{
	sqliteDialect:   loadMigrations(sqliteDialect),
	postgresDialect: loadMigrations(postgresDialect),
}

func loadMigrations(d *dialect) []schema.Migration {
	ms := schema.MustLoad(migrationFiles, "migrations", d.name)
	for i, m := range ms {
		if m.Shared {
			ms[i].SQL = d.translate(m.SQL)
		}
	}
	return ms
}

// migrateLockKey is the advisory lock that serialises migrations across
// processes on PostgreSQL: "fastsafe" in ASCII.
const migrateLockKey int64 = 0x6661737473616665

// errNoAdvisoryLocks: the database has no working migration lock.
var errNoAdvisoryLocks = errors.New("advisory locks are not supported")

var (
	qCreateSchemaMigrations = newQuery(`CREATE TABLE IF NOT EXISTS schema_migrations (
	version    {int} NOT NULL PRIMARY KEY,
	applied_at {int} NOT NULL
)`)
	qTableExists      = newQuery(`SELECT {table exists}`)
	qSchemaVersion    = newQuery(`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`)
	qMigrationApplied = newQuery(`SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`)
	qRecordMigration  = newQuery(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`)
)

// Migrate applies the migrations the database lacks, each in its own
// transaction, and records them in schema_migrations. It is safe to call
// concurrently from several processes: a migration another process applied
// first is skipped. On SQLite the write lock keeps migrators apart, on
// PostgreSQL a transaction-scoped advisory lock, or, where advisory locks
// do not work (CockroachDB), the primary key of schema_migrations, with
// the loser retried. A database that is up to date is only read, so a role
// without the right to create tables can open a migrated database. It
// returns ErrSchemaTooNew, without changing anything, if the database has a
// version this binary does not know. Open calls it.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrate(ctx, migrations[s.d])
}

func (s *Store) migrate(ctx context.Context, ms []schema.Migration) error {
	latest := schema.Latest(ms)
	r := schema.Runner{Backend: s.d.name, TooNew: ErrSchemaTooNew, Log: s.log}
	// The common case, a process starting on a migrated database, takes no
	// lock and writes nothing.
	current, err := s.schemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("%s: migrate: %w", s.d.name, err)
	}
	if err := r.Check(current, latest); err != nil {
		return err
	}
	if current == latest {
		return nil
	}
	return r.Apply(ms, func(m schema.Migration) (bool, error) {
		applied := false
		err := s.migrateStep(ctx, func(tx tx) error {
			applied = false
			if _, err := tx.exec(qCreateSchemaMigrations); err != nil {
				return err
			}
			var current int
			if err := tx.queryRow(qSchemaVersion).Scan(&current); err != nil {
				return err
			}
			if err := r.Check(current, latest); err != nil {
				return err
			}
			var done bool
			if err := tx.queryRow(qMigrationApplied, m.Version).Scan(&done); err != nil {
				return err
			}
			if done {
				return nil
			}
			if _, err := tx.tx.exec(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := tx.exec(qRecordMigration, m.Version, s.now().UnixNano()); err != nil {
				return err
			}
			applied = true
			return nil
		})
		return applied, err
	})
}

// migrateStep runs fn in a write transaction that first takes the
// dialect's migration lock, if it has one. Where the database has no
// working advisory locks, concurrent migrators are kept apart by the
// primary key of schema_migrations instead: the loser fails on a duplicate
// table or row and runs again, to find the migration applied.
func (s *Store) migrateStep(ctx context.Context, fn func(tx tx) error) error {
	var locked bool
	again := func(err error, _ int) bool {
		if errors.Is(err, errNoAdvisoryLocks) {
			s.log.Warn("the database has no advisory locks; concurrent migrations are kept apart by schema_migrations alone")
			s.advisoryLocks.Store(false)
			return true
		}
		if s.d.retryable(err) {
			return true
		}
		return !locked && s.d.migrationConflict(err)
	}
	return s.retryWhile(ctx, again, func() error {
		return s.tx(ctx, func(tx tx) error {
			locked = false
			if s.advisoryLocks.Load() {
				if _, err := tx.tx.exec(ctx, s.d.translate(s.d.migrationLock), migrateLockKey); err != nil {
					if s.d.noAdvisoryLocks(err) {
						return fmt.Errorf("%w: %w", errNoAdvisoryLocks, err)
					}
					return err
				}
				locked = true
			}
			return fn(tx)
		})
	})
}

// SchemaVersion returns the highest migration version applied to the
// database, 0 for an empty one.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	v, err := s.schemaVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("%s: schema version: %w", s.d.name, err)
	}
	return v, nil
}

func (s *Store) schemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.retryRead(ctx, func() error {
		var exists bool
		if err := s.read.queryRow(ctx, s.sql[qTableExists], "schema_migrations").Scan(&exists); err != nil {
			return err
		}
		v = 0
		if !exists {
			return nil
		}
		return s.read.queryRow(ctx, s.sql[qSchemaVersion]).Scan(&v)
	})
	return v, err
}
