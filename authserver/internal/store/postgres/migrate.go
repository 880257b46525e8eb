package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrSchemaTooNew is returned by Open and Migrate for a database whose
// schema was written by a newer version of the server.
var ErrSchemaTooNew = errors.New("postgres: database schema is newer than this binary supports; upgrade the binary")

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations are the embedded migrations in version order. Their versions
// match the SQLite backend's: version N has the same tables on both.
var migrations = mustLoadMigrations(migrationFiles, "migrations")

// loadMigrations reads the files NNNN_name.sql in dir. Versions must start
// at 1 and have no gaps.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		prefix, _, ok := strings.Cut(name, "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		v, err := strconv.Atoi(prefix)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version number", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations")
	}
	return ms, nil
}

func mustLoadMigrations(fsys fs.FS, dir string) []migration {
	ms, err := loadMigrations(fsys, dir)
	if err != nil {
		panic("postgres: " + err.Error())
	}
	return ms
}

// latestVersion is the schema version this binary writes.
func latestVersion() int { return migrations[len(migrations)-1].version }

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

func (s *Store) migrate(ctx context.Context, ms []migration) error {
	latest := ms[len(ms)-1].version
	// The common case, every replica starting on a migrated database,
	// takes no lock and writes nothing.
	current, err := s.schemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if current > latest {
		return tooNew(current, latest)
	}
	if current == latest {
		return nil
	}
	for _, m := range ms {
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
			if current > latest {
				return tooNew(current, latest)
			}
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&done); err != nil {
				return err
			}
			if done {
				return nil
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				m.version, s.now().UnixNano()); err != nil {
				return err
			}
			applied = true
			return nil
		})
		if errors.Is(err, ErrSchemaTooNew) {
			return err
		}
		if err != nil {
			return fmt.Errorf("postgres: migrate: %s: %w", m.name, err)
		}
		if applied {
			s.log.Info("applied database migration", "version", m.version, "name", m.name)
		}
	}
	return nil
}

func tooNew(current, latest int) error {
	return fmt.Errorf("%w (database version %d, binary version %d)", ErrSchemaTooNew, current, latest)
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
