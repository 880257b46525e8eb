package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"

	"github.com/fastsafe/fastsafe/authserver/internal/store/schema"
)

// ErrSchemaTooNew is returned by Open and Migrate for a database whose
// schema was written by a newer version of the server.
var ErrSchemaTooNew = errors.New("sqlite: database schema is newer than this binary supports; upgrade the binary")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the embedded migrations in version order.
var migrations = schema.MustLoad(migrationFiles, "migrations", "sqlite")

// Migrate applies the migrations the database lacks, each in its own write
// transaction, and records them in schema_migrations. It is safe to call
// concurrently from several processes: a migration another process applied
// first is skipped. It returns ErrSchemaTooNew, without changing anything,
// if the database has a version this binary does not know. Open calls it.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrate(ctx, migrations)
}

func (s *Store) migrate(ctx context.Context, ms []schema.Migration) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER NOT NULL PRIMARY KEY,
	applied_at INTEGER NOT NULL
)`
	if _, err := s.write.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("sqlite: migrate: create schema_migrations: %w", err)
	}
	latest := schema.Latest(ms)
	r := schema.Runner{Backend: "sqlite", TooNew: ErrSchemaTooNew, Log: s.log}
	return r.Apply(ms, func(m schema.Migration) (bool, error) {
		applied := false
		err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
			var current int
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
				return err
			}
			if err := r.Check(current, latest); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.Version, s.now().UnixNano()); err != nil {
				return err
			}
			applied = true
			return nil
		})
		return applied, err
	})
}

// SchemaVersion returns the highest migration version applied to the
// database, 0 for an empty one.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return v, nil
}
