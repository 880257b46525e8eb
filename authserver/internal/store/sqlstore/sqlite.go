package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"

	// Registers the "sqlite" database/sql driver.
	_ "modernc.org/sqlite"
)

// WithBusyTimeout sets how long an operation on SQLite waits for a lock
// held by another process before it fails. The default is 5 seconds.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busyTimeout = d }
}

// WithReadConns sets the maximum number of SQLite read connections. The
// default is 4.
func WithReadConns(n int) Option {
	return func(o *options) { o.readConns = n }
}

// OpenSQLite opens the SQLite database at path, creating it and its parent
// directory (mode 0700) if they are missing, and applies pending schema
// migrations. The file is created with mode 0600, as it holds private keys
// and password hashes, and an existing file that group or others can access
// is restricted to 0600.
//
// The file is in WAL mode, so that readers never wait for writers and
// several processes (the server and the administration CLI) may use it at
// once. The Store holds two connection pools: a single write connection,
// whose transactions start with BEGIN IMMEDIATE so that writers queue for
// the database lock up front instead of failing when a read lock cannot be
// upgraded, and a few read-only connections, on which the reads of the
// request path are prepared once. Writers in other processes are waited
// for up to the busy timeout.
//
// An error that the file system or SQLite can explain wraps
// store.ErrDiskFull, ErrReadOnly, ErrLocked or ErrMissing, and says what
// happened in words.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
	s, err := openMigrated(ctx, o.existing, func() (*Store, error) { return connectSQLite(ctx, path, opts...) }, func(s *Store) error {
		if err := s.read.(*sqlPool).prepare(ctx, s.readPath()); err != nil {
			return fmt.Errorf("sqlite: open: prepare: %w", err)
		}
		return nil
	})
	if err != nil {
		if abs, aerr := filepath.Abs(path); aerr == nil {
			err = diagnoseFile(abs, err)
		}
		return nil, err
	}
	return s, nil
}

// connectSQLite prepares the file and opens the pools, without migrating.
func connectSQLite(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
	if o.readConns < 1 {
		o.readConns = 1
	}
	if o.busyTimeout < 0 {
		o.busyTimeout = 0
	}
	if path == "" {
		return nil, errors.New("sqlite: open: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if o.existing {
		if err := requireFile(abs); err != nil {
			return nil, err
		}
	}
	if err := prepareFile(abs, o.logger); err != nil {
		return nil, err
	}
	opened, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}

	busyMS := strconv.FormatInt(o.busyTimeout.Milliseconds(), 10)
	common := url.Values{}
	common.Set("_busy_timeout", busyMS)
	common.Set("_foreign_keys", "1")
	common.Set("_defensive", "1")
	common.Set("_dqs", "0")

	wq := cloneValues(common)
	wq.Set("_synchronous", "NORMAL")
	wq.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite", dsn(abs, wq))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// A single write connection: writers of this process queue in
	// database/sql instead of spinning on the file lock.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	// The write connection switches the file to WAL before any read
	// connection opens it.
	if err := enableWAL(ctx, write, o.busyTimeout); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}

	rq := cloneValues(common)
	rq.Set("_query_only", "1")
	read, err := sql.Open("sqlite", dsn(abs, rq))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	read.SetMaxOpenConns(o.readConns)
	read.SetMaxIdleConns(o.readConns)
	read.SetConnMaxLifetime(0)
	read.SetConnMaxIdleTime(5 * time.Minute)

	s := newStore(sqliteDialect, newSQLPool(write), newSQLPool(read), o)
	s.file = &dbFile{path: abs, info: opened}
	return s, nil
}

// requireFile is store.ErrMissing unless path is a file with something in
// it.
func requireFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("sqlite: %w: %s does not exist", store.ErrMissing, path)
	case err != nil:
		return fmt.Errorf("sqlite: open: %w", err)
	case fi.Size() == 0:
		return fmt.Errorf("sqlite: %w: %s is empty", store.ErrMissing, path)
	}
	return nil
}

// enableWAL switches the database to WAL mode, which is persistent. The
// switch needs an exclusive lock, and SQLite reports a competing opener's
// lock as SQLITE_BUSY without waiting, so it is retried until the busy
// timeout.
func enableWAL(ctx context.Context, db *sql.DB, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	delay := time.Millisecond
	for {
		var mode string
		err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		if err == nil {
			if !strings.EqualFold(mode, "wal") {
				return fmt.Errorf("enable WAL: journal mode is %q", mode)
			}
			return nil
		}
		if !sqliteDialect.busy(err) || time.Now().Add(delay).After(deadline) {
			return fmt.Errorf("enable WAL: %w", err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("enable WAL: %w", ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// prepareFile creates the parent directory and the database file with
// private permissions, and restricts an existing file that is not private.
func prepareFile(path string, log *slog.Logger) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sqlite: create directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: create database file: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("database file was accessible to other users; restricting it to the owner",
			"path", path, "mode", fi.Mode().Perm().String())
		err = f.Chmod(0o600)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sqlite: database file: %w", err)
	}
	return nil
}

// dsn builds a file: URI, so that any character in the path is escaped and
// cannot be read as a query parameter.
func dsn(path string, q url.Values) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive letters
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}
