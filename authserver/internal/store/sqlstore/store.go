package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store in a SQLite file (OpenSQLite) or a PostgreSQL
// database (OpenPostgres). It is safe for concurrent use, also by several
// Stores in one or more processes that share the database.
type Store struct {
	d     *dialect
	write pool // SQLite: one connection, transactions BEGIN IMMEDIATE
	read  pool // SQLite: read-only connections; PostgreSQL: write itself
	log   *slog.Logger
	now   func() time.Time
	errs  sqlcodec.Errors

	sql []string // the text of each query in the dialect

	// file is the SQLite file the store opened; nil on PostgreSQL.
	file *dbFile

	// resetPool drops every pooled connection after one broke: when the
	// server restarted or the network failed, the others are broken too.
	// Nil where connections do not break (SQLite).
	resetPool func()
	// advisoryLocks is false on databases whose advisory locks do not lock
	// (CockroachDB) or are missing; migrations then rely on the primary key
	// of schema_migrations alone.
	advisoryLocks atomic.Bool
}

// query is a statement written once, with ? placeholders and the
// dialect's {tokens}; a Store holds its text in the Store's dialect.
type query int

var (
	queryTexts    []string
	queryPrepared []bool
)

// newQuery registers a statement; it is called only while the package
// initialises.
func newQuery(text string) query {
	queryTexts = append(queryTexts, text)
	queryPrepared = append(queryPrepared, false)
	return query(len(queryTexts) - 1)
}

// newReadQuery registers a read on the request path, which the SQLite read
// pool prepares once (pgx caches every statement by itself).
func newReadQuery(text string) query {
	q := newQuery(text)
	queryPrepared[q] = true
	return q
}

type options struct {
	logger      *slog.Logger
	clock       func() time.Time
	busyTimeout time.Duration
	readConns   int
	maxConns    int
	existing    bool
}

// Option configures OpenSQLite and OpenPostgres.
type Option func(*options)

// WithLogger sets the logger; by default nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithClock sets the clock used for the times the store records itself: when
// a migration was applied, and when DeleteUser or DeleteClient revoked a
// refresh family. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.clock = now }
}

// WithExisting makes OpenSQLite and OpenPostgres refuse to create a
// database: a SQLite file that does not exist or is empty, or a PostgreSQL
// schema without the store's tables, is an error wrapping store.ErrMissing
// instead. A database of an older schema is still upgraded.
func WithExisting() Option {
	return func(o *options) { o.existing = true }
}

func newOptions(opts []Option) options {
	o := options{clock: time.Now, busyTimeout: 5 * time.Second, readConns: 4}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// newStore returns a Store of dialect d on the pools write and read (the
// same for a database that needs no separate read pool), with every query
// translated. It does not migrate.
func newStore(d *dialect, write, read pool, o options) *Store {
	s := &Store{
		d: d, write: write, read: read, log: o.logger, now: o.clock,
		errs: sqlcodec.Errors{Backend: d.name, NoRows: sql.ErrNoRows, IsUnique: d.unique},
		sql:  make([]string, len(queryTexts)),
	}
	for i, text := range queryTexts {
		s.sql[i] = d.translate(text)
	}
	s.advisoryLocks.Store(d.migrationLock != "")
	return s
}

// openMigrated connects, migrates and, if then is not nil, runs then on
// the store, which it closes if any of that fails. With existing, a
// database without schema is store.ErrMissing rather than created.
func openMigrated(ctx context.Context, existing bool, connect func() (*Store, error), then func(*Store) error) (*Store, error) {
	s, err := connect()
	if err != nil {
		return nil, err
	}
	if existing {
		err = s.requireSchema(ctx)
	}
	if err == nil {
		err = s.Migrate(ctx)
	}
	if err == nil && then != nil {
		err = then(s)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// requireSchema is store.ErrMissing for a database without schema.
func (s *Store) requireSchema(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return s.diagnose(err)
	}
	if v == 0 {
		return fmt.Errorf("%s: %w: no tables of this server in it", s.d.name, store.ErrMissing)
	}
	return nil
}

// readPath returns the text of the reads on the request path, which a pool
// may prepare.
func (s *Store) readPath() []string {
	var texts []string
	for i, text := range s.sql {
		if queryPrepared[i] {
			texts = append(texts, text)
		}
	}
	return texts
}

// Ping reports whether the database can be reached. A pooled connection
// that broke while the database was away does not make it fail.
func (s *Store) Ping(ctx context.Context) error {
	for _, p := range s.pools() {
		if err := s.retryRead(ctx, func() error { return p.ping(ctx) }); err != nil {
			return fmt.Errorf("%s: ping: %w", s.d.name, err)
		}
	}
	return nil
}

func (s *Store) pools() []pool {
	if s.read == s.write {
		return []pool{s.write}
	}
	return []pool{s.read, s.write}
}

// Close closes the database. Calls in progress finish first.
func (s *Store) Close() error {
	var errs []error
	for _, p := range s.pools() {
		errs = append(errs, p.close())
	}
	return errors.Join(errs...)
}

// wrap gives err the operation as context, mapping sql.ErrNoRows to
// store.ErrNotFound and unique violations to store.ErrAlreadyExists. Errors
// that already are one of the store's errors are kept.
func (s *Store) wrap(op string, err error) error { return s.errs.Wrap(op, err) }

// queryRow runs a read of one row outside a transaction.
func (s *Store) queryRow(ctx context.Context, q query, args ...any) rowScanner {
	return s.read.queryRow(ctx, s.sql[q], args...)
}

// get reads one row of t by key outside a transaction, retried as
// retryRead retries.
func get[T any](ctx context.Context, s *Store, t *table[T], op string, key ...any) (T, error) {
	var v T
	err := s.retryRead(ctx, func() (err error) {
		v, err = t.scan(s.d, s.queryRow(ctx, t.get, key...))
		return err
	})
	if err != nil {
		var zero T
		return zero, s.wrap(op, err)
	}
	return v, nil
}

// all reads every row of t, retried as retryRead retries.
func all[T any](ctx context.Context, s *Store, t *table[T], op string) ([]T, error) {
	return selectAll(ctx, s, t, op, t.all)
}

// selectAll reads every row q, a SELECT of t's columns, returns, retried as
// retryRead retries.
func selectAll[T any](ctx context.Context, s *Store, t *table[T], op string, q query, args ...any) ([]T, error) {
	var vs []T
	err := s.retryRead(ctx, func() error {
		rows, err := s.read.query(ctx, s.sql[q], args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		vs = vs[:0]
		for rows.Next() {
			v, err := t.scan(s.d, rows)
			if err != nil {
				return err
			}
			vs = append(vs, v)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.wrap(op, err)
	}
	return vs, nil
}

// exec runs one statement on its own on the write pool, retried as inTx
// retries, and returns how many rows it changed.
func (s *Store) exec(ctx context.Context, q query, args ...any) (int64, error) {
	var n int64
	err := s.retry(ctx, func() error {
		var err error
		n, err = s.write.exec(ctx, s.sql[q], args...)
		return err
	})
	return n, err
}

// tx is a write transaction of a Store.
type tx struct {
	tx  txQuerier
	s   *Store
	ctx context.Context
}

func (t tx) exec(q query, args ...any) (int64, error) {
	return t.tx.exec(t.ctx, t.s.sql[q], args...)
}

func (t tx) queryRow(q query, args ...any) rowScanner {
	return t.tx.queryRow(t.ctx, t.s.sql[q], args...)
}

func (t tx) query(q query, args ...any) (rows, error) {
	return t.tx.query(t.ctx, t.s.sql[q], args...)
}

// inTx runs fn in a write transaction and commits it if fn returns nil,
// running it again, in a new transaction, if the database aborted it as a
// serialization failure or deadlock or its connection broke before the
// commit was sent. The transaction is rolled back if fn fails or panics.
// On SQLite the transaction holds the database's write lock from its first
// statement (BEGIN IMMEDIATE), so fn must not call methods of s that write.
func (s *Store) inTx(ctx context.Context, fn func(tx tx) error) error {
	return s.retry(ctx, func() error { return s.tx(ctx, fn) })
}

func (s *Store) tx(ctx context.Context, fn func(tx tx) error) error {
	t, err := s.write.begin(ctx)
	if err != nil {
		if s.d.connectionLost(err) {
			err = notCommitted{err}
		}
		return fmt.Errorf("begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			// A failed rollback closes the connection, which ends the
			// transaction on the server.
			_ = t.rollback(ctx)
		}
	}()
	if err := fn(tx{tx: t, s: s, ctx: ctx}); err != nil {
		if s.d.connectionLost(err) {
			err = notCommitted{err}
		}
		return err
	}
	done = true
	if err := t.commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// retry runs fn until it succeeds, fails with an error that is not
// retryable, or has run as often as the dialect allows.
func (s *Store) retry(ctx context.Context, fn func() error) error {
	return s.retryWhile(ctx, func(err error, _ int) bool {
		s.resetIfLost(err)
		return s.d.retryable(err)
	}, fn)
}

// retryRead runs fn, which only reads, as retry does, and also runs it
// again on a connection that broke under it, as pooled connections do when
// the server restarts. A connection that cannot be made is not retried: an
// unreachable database fails at once.
func (s *Store) retryRead(ctx context.Context, fn func() error) error {
	return s.retryWhile(ctx, func(err error, attempt int) bool {
		s.resetIfLost(err)
		return s.d.retryable(err) || (s.d.connectionLost(err) && attempt < s.d.maxConnLostAttempts)
	}, fn)
}

func (s *Store) resetIfLost(err error) {
	if s.resetPool != nil && s.d.connectionLost(err) {
		s.resetPool()
	}
}

// retryWhile runs fn until it succeeds, again(err, attempt) is false, ctx is
// done or it has run the dialect's maxAttempts times, waiting a little
// longer, with jitter, between attempts.
func (s *Store) retryWhile(ctx context.Context, again func(err error, attempt int) bool, fn func() error) error {
	delay := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt >= s.d.maxAttempts || !again(err, attempt) || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(delay + rand.N(delay))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// mustAffect returns store.ErrNotFound if a statement changed no row.
func mustAffect(n int64) error {
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Backend names the database the store is in: "sqlite" or "postgres".
func (s *Store) Backend() string { return s.d.name }
