package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store backed by a PostgreSQL database. It is safe for
// concurrent use, also by several Stores in one or more processes that share
// the database.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time
	// advisoryLocks is false on databases whose advisory locks do not lock
	// (CockroachDB) or are missing; migrations then rely on the primary key
	// of schema_migrations alone.
	advisoryLocks atomic.Bool
}

type options struct {
	logger   *slog.Logger
	clock    func() time.Time
	maxConns int
}

// Option configures Open.
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

// WithMaxConns sets the most connections the store opens. The default is
// pool_max_conns from the URL if it has one, otherwise the greater of 4 and
// the number of CPUs.
func WithMaxConns(n int) Option {
	return func(o *options) { o.maxConns = n }
}

// defaultConnectTimeout bounds a connection attempt when the URL does not
// set connect_timeout, so that an unreachable database fails requests and
// readiness checks quickly instead of holding them until their deadline.
const defaultConnectTimeout = 5 * time.Second

// Open connects to the PostgreSQL database named by the URL or key=value
// connection string dsn and applies pending schema migrations. Neither
// errors nor logs contain the password in dsn.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	s, err := connect(ctx, dsn, opts...)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// connect opens the pool and checks that the database answers, without
// migrating.
func connect(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{clock: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, parseError(err)
	}
	if o.maxConns > 0 {
		cfg.MaxConns = int32(min(o.maxConns, 1<<20))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "fastsafe-authserver"
	}
	// A connection that does not answer a liveness ping within this time
	// is replaced rather than holding the caller until its deadline.
	cfg.PingTimeout = 2 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool, log: o.logger, now: o.clock}
	s.advisoryLocks.Store(true)
	var version string
	if err := pool.QueryRow(ctx, `SELECT version()`).Scan(&version); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if strings.Contains(version, "CockroachDB") {
		s.advisoryLocks.Store(false)
	}
	return s, nil
}

// parseError describes a connection string that cannot be parsed without
// quoting it: the parser masks passwords only as far as it recognises them.
func parseError(err error) error {
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		if inner := pce.Unwrap(); inner != nil {
			return fmt.Errorf("postgres: invalid connection string: %w", inner)
		}
		return errors.New("postgres: invalid connection string")
	}
	return fmt.Errorf("postgres: invalid connection string: %w", err)
}

// Ping reports whether the database can be reached. A pooled connection
// that broke while the database was away does not make it fail.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read(ctx, func() error { return s.pool.Ping(ctx) }); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes every connection. It waits for calls in progress.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Limits of retry: how often an operation runs at most when the database
// aborted it as a serialization failure or deadlock (under contention, as
// on CockroachDB or with serializable isolation, every attempt but one of
// a round of contenders fails), and when its connection broke.
const (
	maxAttempts         = 30
	maxConnLostAttempts = 3
)

// retry runs fn until it succeeds, fails with an error that is not
// retryable, or has run maxAttempts times, waiting a little longer, with
// jitter, between attempts.
func (s *Store) retry(ctx context.Context, fn func() error) error {
	return retryWhile(ctx, func(err error, _ int) bool {
		s.resetIfLost(err)
		return retryable(err)
	}, fn)
}

// read runs fn, which only reads, as retry does, and also runs it again on a
// connection that broke under it, as pooled connections do when the server
// restarts. A connection that cannot be made is not retried: an unreachable
// database fails at once.
func (s *Store) read(ctx context.Context, fn func() error) error {
	return retryWhile(ctx, func(err error, attempt int) bool {
		s.resetIfLost(err)
		return retryable(err) || (connectionLost(err) && attempt < maxConnLostAttempts)
	}, fn)
}

// resetIfLost closes every pooled connection when err says one broke: when
// the server restarted or the network failed, the others are broken too,
// and the next attempt should not find them one by one.
func (s *Store) resetIfLost(err error) {
	if connectionLost(err) {
		s.pool.Reset()
	}
}

// retryWhile runs fn until it succeeds, again(err, attempt) is false, ctx is
// done or it has run maxAttempts times.
func retryWhile(ctx context.Context, again func(err error, attempt int) bool, fn func() error) error {
	delay := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt == maxAttempts || !again(err, attempt) || ctx.Err() != nil {
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

// inTx runs fn in a transaction and commits it if fn returns nil, running it
// again (in a new transaction) if the database aborted it as a
// serialization failure or deadlock. The transaction is rolled back if fn
// fails or panics.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.retry(ctx, func() error { return s.tx(ctx, fn) })
}

func (s *Store) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		if connectionLost(err) {
			err = notCommitted{err}
		}
		return fmt.Errorf("begin: %w", err)
	}
	done := false
	defer func() {
		if !done {
			// A failed rollback closes the connection, which ends the
			// transaction on the server.
			_ = tx.Rollback(ctx)
		}
	}()
	if err := fn(tx); err != nil {
		if connectionLost(err) {
			err = notCommitted{err}
		}
		return err
	}
	done = true
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// exec runs one statement on its own, retried as inTx retries.
func (s *Store) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := s.retry(ctx, func() error {
		var err error
		tag, err = s.pool.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}
