package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/store/schema"
)

// ErrSchemaTooNew is returned by Open and Migrate for a database whose
// schema was written by a newer version of the server.
var ErrSchemaTooNew = errors.New("postgres: database schema is newer than this binary supports; upgrade the binary")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded migrations in version order. Their versions
// match the SQLite backend's: version N has the same tables on both.
var migrations = schema.MustLoad(migrationFiles, "migrations", "postgres")

// migrateLockKey is the advisory lock that serialises migrations across
// processes: "fastsafe" in ASCII.
const migrateLockKey int64 = 0x6661737473616665

// errNoAdvisoryLocks: the database has no pg_advisory_xact_lock.
var errNoAdvisoryLocks = errors.New("advisory locks are not supported")

// Migrate applies the migrations the database lacks, each in its own
// transaction that holds an advisory lock for its whole length, and records
// them in schema_migrations. It is safe to call concurrently from several
// processes: a migration another process applied first is skipped. A
// database that is up to date is only read, so a role without the right to
// create tables can open a migrated database. It returns ErrSchemaTooNew,
// without changing anything, if the database has a version this binary does
// not know. Open calls it.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrate(ctx, migrations)
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    BIGINT NOT NULL PRIMARY KEY,
	applied_at BIGINT NOT NULL
)`

func (s *Store) migrate(ctx context.Context, ms []schema.Migration) error {
	latest := schema.Latest(ms)
	r := schema.Runner{Backend: "postgres", TooNew: ErrSchemaTooNew, Log: s.log}
	// The common case, every replica starting on a migrated database,
	// takes no lock and writes nothing.
	current, err := s.schemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := r.Check(current, latest); err != nil {
		return err
	}
	if current == latest {
		return nil
	}
	return r.Apply(ms, func(m schema.Migration) (bool, error) {
		applied := false
		err := s.migrateStep(ctx, func(tx pgx.Tx) error {
			applied = false
			if _, err := tx.Exec(ctx, createSchemaMigrations); err != nil {
				return err
			}
			var current int
			if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
				return err
			}
			if err := r.Check(current, latest); err != nil {
				return err
			}
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&done); err != nil {
				return err
			}
			if done {
				return nil
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				m.Version, s.now().UnixNano()); err != nil {
				return err
			}
			applied = true
			return nil
		})
		return applied, err
	})
}

// migrateStep runs fn in a transaction that first takes the migration lock.
// Where the database has no working advisory locks, concurrent migrators
// are kept apart by the primary key of schema_migrations instead: the loser
// fails on a duplicate table or row and runs again, to find the migration
// applied.
func (s *Store) migrateStep(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var locked bool
	again := func(err error, _ int) bool {
		if errors.Is(err, errNoAdvisoryLocks) {
			s.log.Warn("the database has no advisory locks; concurrent migrations are kept apart by schema_migrations alone")
			s.advisoryLocks.Store(false)
			return true
		}
		if retryable(err) {
			return true
		}
		if locked {
			return false
		}
		switch sqlState(err) {
		case codeUniqueViolation, codeDuplicateTable, codeDuplicateObject:
			return true
		}
		return false
	}
	return retryWhile(ctx, again, func() error {
		return s.tx(ctx, func(tx pgx.Tx) error {
			locked = false
			if s.advisoryLocks.Load() {
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey); err != nil {
					switch sqlState(err) {
					case codeUndefinedFunction, codeFeatureNotSupported:
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
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	return v, nil
}

func (s *Store) schemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.read(ctx, func() error {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.tables
WHERE table_schema = current_schema() AND table_name = 'schema_migrations')`).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			v = 0
			return nil
		}
		return s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	})
	return v, err
}
