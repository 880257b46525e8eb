package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

var qCheckWrite = newQuery(`INSERT INTO write_checks (id, checked_at, checks) VALUES (1, ?, 1)
ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at, checks = write_checks.checks + 1`)

// CheckWrite writes the one row of write_checks, to tell whether the
// database takes writes. On SQLite it first checks that the file the store
// opened is still the one at its path (a deleted file keeps taking writes
// that nobody will ever read) and that its file system has room left: a
// small write may still fit in the space the write-ahead log took before
// while the requests' writes fail. After a failed check it checkpoints and
// truncates the log, which gives its space back once the file system has
// room for the pages it holds. The error names the cause
// (store.ErrDiskFull, ErrReadOnly, ErrLocked, ErrMissing) when the
// database or the file system tells it.
func (s *Store) CheckWrite(ctx context.Context, now time.Time) error {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return s.errs.Prefix("check write", err)
	}
	err := s.checkWrite(ctx, now)
	if err == nil {
		return nil
	}
	if s.file != nil && ctx.Err() == nil {
		if cerr := s.Checkpoint(ctx); cerr != nil {
			s.log.DebugContext(ctx, "checkpoint after a failed write check failed", "err", cerr)
		}
	}
	return s.errs.Prefix("check write", err)
}

func (s *Store) checkWrite(ctx context.Context, now time.Time) error {
	if s.file != nil {
		if err := s.file.check(); err != nil {
			return err
		}
		dir := filepath.Dir(s.file.path)
		if fs, ok := fileSystem(dir); ok && fs.free < minFreeBytes {
			return fmt.Errorf("%w: %d bytes left on the file system of %s", store.ErrDiskFull, fs.free, dir)
		}
	}
	_, err := s.exec(ctx, qCheckWrite, (*nanos)(&now))
	if err != nil {
		return s.diagnose(err)
	}
	return nil
}

// Checkpoint copies the write-ahead log of a SQLite database into the
// database file and truncates it to nothing, if it holds anything; on
// PostgreSQL it does nothing. A checkpoint that readers keep from
// finishing (a backup running) is no failure: the next one finishes it.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.file == nil {
		return nil
	}
	if fi, err := os.Stat(s.file.path + "-wal"); err != nil || fi.Size() == 0 {
		return nil
	}
	var busy, frames, copied int
	err := s.retry(ctx, func() error {
		return s.write.queryRow(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied)
	})
	if err != nil {
		return s.errs.Prefix("checkpoint", s.diagnose(err))
	}
	if busy != 0 {
		s.log.DebugContext(ctx, "checkpoint kept from finishing by readers", "frames", frames, "copied", copied)
	}
	return nil
}

// dbFile is the SQLite file a store opened, to tell when it is gone.
type dbFile struct {
	path string
	info os.FileInfo // of the file when it was opened
}

// check reports store.ErrMissing if the file at the path is gone or is
// another file than the one opened.
func (f *dbFile) check() error {
	fi, err := os.Stat(f.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %s was deleted or moved, with its directory or alone; restore it from a backup and restart", store.ErrMissing, f.path)
	case err != nil:
		return err
	case !os.SameFile(fi, f.info):
		return fmt.Errorf("%w: %s was replaced by another file since it was opened; restart to use the new one", store.ErrMissing, f.path)
	}
	return nil
}

// diagnose wraps err, from the database or its file, in the store's error
// for its cause, when the database or the file system tells one.
func (s *Store) diagnose(err error) error {
	if s.file != nil {
		return diagnoseFile(s.file.path, err)
	}
	if cause := postgresCause(err); cause != nil {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// diagnosed reports whether err names its cause already.
func diagnosed(err error) bool {
	for _, known := range []error{store.ErrDiskFull, store.ErrReadOnly, store.ErrLocked, store.ErrMissing} {
		if errors.Is(err, known) {
			return true
		}
	}
	return false
}

// postgresCause is the store's error for a PostgreSQL error, or nil.
func postgresCause(err error) error {
	var pe *pgconn.PgError
	if diagnosed(err) {
		return nil
	}
	if !errors.As(err, &pe) {
		return nil
	}
	switch pe.Code {
	case "53100": // disk_full
		return store.ErrDiskFull
	case "25006": // read_only_sql_transaction: a standby, or default_transaction_read_only
		return store.ErrReadOnly
	case "55P03": // lock_not_available
		return store.ErrLocked
	case "3D000": // invalid_catalog_name: the database does not exist
		return store.ErrMissing
	}
	return nil
}

// diagnoseFile wraps err, from opening or writing the SQLite database at
// path, in the store's error for its cause. SQLite names some causes
// itself; a failed write or open (SQLITE_IOERR, SQLITE_CANTOPEN, an
// operating system error) is explained by the file system: a missing
// file or directory, a read-only mount, no space left.
func diagnoseFile(path string, err error) error {
	if diagnosed(err) {
		return err
	}
	code := 0
	var se *sqlite.Error
	if errors.As(err, &se) {
		code = se.Code()
	}
	switch {
	case code&0xff == sqlite3.SQLITE_FULL, errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: no space left for %s (%w)", store.ErrDiskFull, path, err)
	case code == sqlite3.SQLITE_READONLY_DBMOVED:
		return fmt.Errorf("%w: %s was deleted or moved while open (%w)", store.ErrMissing, path, err)
	case code&0xff == sqlite3.SQLITE_BUSY, code&0xff == sqlite3.SQLITE_LOCKED, errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: another process holds %s longer than the busy timeout (%w)", store.ErrLocked, path, err)
	case code&0xff == sqlite3.SQLITE_READONLY, errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %s cannot be written (%w)", store.ErrReadOnly, path, err)
	case code&0xff == sqlite3.SQLITE_IOERR, code&0xff == sqlite3.SQLITE_CANTOPEN, code == 0:
	default:
		return err
	}
	dir := filepath.Dir(path)
	if _, serr := os.Stat(dir); errors.Is(serr, os.ErrNotExist) {
		return fmt.Errorf("%w: its directory %s does not exist (%w)", store.ErrMissing, dir, err)
	}
	fs, ok := fileSystem(dir)
	switch {
	case ok && fs.readOnly:
		return fmt.Errorf("%w: the file system of %s is mounted read-only (%w)", store.ErrReadOnly, dir, err)
	case ok && fs.free < minFreeBytes:
		return fmt.Errorf("%w: %d bytes left on the file system of %s (%w)", store.ErrDiskFull, fs.free, dir, err)
	}
	return err
}

// minFreeBytes is the free space below which a failed write is put down
// to a full disk: less than a few pages of the database.
const minFreeBytes = 64 << 10

// fsState is what the file system of a directory says about itself.
type fsState struct {
	readOnly bool
	free     uint64 // bytes an unprivileged writer may still use
}
