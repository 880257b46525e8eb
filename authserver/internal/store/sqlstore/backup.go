package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// ErrBackupExists is returned by Backup when the destination file already
// exists: a backup never overwrites a file.
var ErrBackupExists = errors.New("sqlite: backup: destination already exists")

// backupBusyTimeout is how long the backup's connection waits for a lock
// held by another connection (in WAL mode only a checkpoint or recovery
// holds one).
const backupBusyTimeout = 5 * time.Second

// Backup writes a consistent copy of the database to the file dest while
// the store, and other processes sharing the file, go on reading and
// writing. The copy is one snapshot, as of the moment the backup's read
// transaction begins; writes committed after that are not in it.
//
// The copy is made with VACUUM INTO on a connection of its own, so writers
// are never blocked, then checked with PRAGMA integrity_check, flushed to
// disk, and only then given its name: dest either does not exist or holds
// a complete, checked backup. dest is created with mode 0600, as it holds
// private keys and password hashes, and must not exist yet
// (ErrBackupExists). Restoring is copying the file back into place while no
// server uses it. Only a SQLite store can be backed up this way.
func (s *Store) Backup(ctx context.Context, dest string) (err error) {
	if s.d != sqliteDialect {
		return fmt.Errorf("%s: backup: back the database up with its own tools", s.d.name)
	}
	if dest == "" {
		return errors.New("sqlite: backup: empty destination path")
	}
	dest, err = filepath.Abs(dest)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("%w: %s", ErrBackupExists, dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	var src string
	if err := s.read.queryRow(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&src); err != nil {
		return s.wrap("backup: locating the database file", err)
	}
	if src == dest {
		return fmt.Errorf("%w: %s is the database itself", ErrBackupExists, dest)
	}

	// os.CreateTemp makes the file with mode 0600 in dest's directory, so
	// that the final link stays on one file system. VACUUM INTO accepts an
	// existing empty file.
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.partial")
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	tmpPath := tmp.Name()
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer func() {
		if rerr := os.Remove(tmpPath); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("sqlite: backup: removing the temporary file: %w", rerr)
		}
	}()

	if err := s.vacuumInto(ctx, src, tmpPath); err != nil {
		return err
	}
	if err := s.checkIntegrity(ctx, tmpPath); err != nil {
		return err
	}
	if err := syncFile(tmpPath); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// A hard link fails if dest exists, unlike a rename: a file created
	// there meanwhile is never replaced.
	if err := os.Link(tmpPath, dest); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrBackupExists, dest)
		}
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := syncDir(filepath.Dir(dest)); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return nil
}

// vacuumInto copies the database src into the empty file dest on a
// connection of its own: the store's read connections are query-only, which
// VACUUM INTO refuses, and its write connection must stay free for writers.
func (s *Store) vacuumInto(ctx context.Context, src, dest string) error {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(backupBusyTimeout.Milliseconds(), 10))
	db, err := sql.Open("sqlite", dsn(src, q))
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return s.wrap("backup", err)
	}
	return db.Close()
}

// checkIntegrity opens the copy at path read-only and runs SQLite's
// integrity check on it.
func (s *Store) checkIntegrity(ctx context.Context, path string) error {
	q := url.Values{}
	q.Set("mode", "ro")
	db, err := sql.Open("sqlite", dsn(path, q))
	if err != nil {
		return fmt.Errorf("sqlite: backup: checking the copy: %w", err)
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil {
		return s.wrap("backup: checking the copy", err)
	}
	if result != "ok" {
		return fmt.Errorf("sqlite: backup: the copy fails the integrity check: %s", result)
	}
	return db.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a new directory entry durable. A file system that cannot
// sync a directory (it reports EINVAL) is not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
