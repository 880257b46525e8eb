package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/fastsafe/fastsafe/authserver/internal/store/backend"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

// backuper is a store that can copy itself while in use.
type backuper interface {
	// Backup writes a consistent copy of the database to dest, which must
	// not exist yet.
	Backup(ctx context.Context, dest string) error
}

var _ backuper = (*sqlstore.Store)(nil)

var backupCommand = command{
	name:    "backup",
	args:    []string{"FILE"},
	summary: "write a consistent copy of the SQLite database to FILE while the server runs",
	details: `The copy is one snapshot of the database, taken without stopping the server
or blocking its writes: every user, client, signing key and refresh token
committed before the backup began. It is checked for integrity and written
under a temporary name first, so FILE either does not exist or is a whole
backup. FILE must not exist yet; it is created with mode 0600, as it holds
private keys and password hashes: store it as carefully as the database.

To restore, stop the server, copy FILE to the --db path (removing any -wal
and -shm files next to it), and start the server.

A PostgreSQL database is backed up with its own tools, such as pg_dump; this
command refuses a postgres:// URL.`,
	db: dbNone,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, args []string) (err error) {
			if backend.IsPostgres(a.cfg.DB) {
				return errors.New("--db is a PostgreSQL database; back it up with PostgreSQL's own tools, such as " +
					"'pg_dump --format=custom --file=FILE DATABASE', and restore it with pg_restore")
			}
			// The command opens the database itself, after the check above,
			// so that a PostgreSQL URL is refused without connecting.
			if err := a.cfg.Validate(); err != nil {
				return &usageError{err: settingsError{err}}
			}
			a.log = a.cfg.Logger(a.stderr)
			if err := a.openDB(ctx, dbExisting); err != nil {
				return err
			}
			defer func() {
				if cerr := a.db.Close(); cerr != nil && err == nil {
					err = fmt.Errorf("closing database: %w", cerr)
				}
			}()
			b, ok := a.db.(backuper)
			if !ok {
				return fmt.Errorf("database %q cannot be backed up by this command", backend.Redact(a.cfg.DB))
			}
			dest := args[0]
			if err := b.Backup(ctx, dest); err != nil {
				if errors.Is(err, sqlstore.ErrBackupExists) {
					return fmt.Errorf("%q already exists; a backup never overwrites a file, choose another name", dest)
				}
				return fmt.Errorf("backing up %q: %w", a.cfg.DB, err)
			}
			a.audit(ctx, "database backed up", "file", dest)
			fmt.Fprintf(a.stdout, "database %q backed up to %q\n", a.cfg.DB, dest)
			return nil
		}
	},
}
