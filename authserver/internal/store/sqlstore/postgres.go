package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// WithMaxConns sets the most connections a PostgreSQL store opens. The
// default is pool_max_conns from the URL if it has one, otherwise the
// greater of 4 and the number of CPUs.
func WithMaxConns(n int) Option {
	return func(o *options) { o.maxConns = n }
}

// defaultConnectTimeout bounds a connection attempt when the URL does not
// set connect_timeout, so that an unreachable database fails requests and
// readiness checks quickly instead of holding them until their deadline.
const defaultConnectTimeout = 5 * time.Second

// OpenPostgres connects to the PostgreSQL database named by the URL or
// key=value connection string dsn, through pgx's own interface and pool, and applies pending schema
// migrations. Neither errors nor logs contain the password in dsn.
//
// Every write that must be all-or-nothing runs in one transaction, and every
// read-modify-write locks the rows it changes (SELECT … FOR UPDATE), so the
// guarantees of the store package hold across processes: of any number of
// replicas rotating one refresh token at once, at most one succeeds. A
// transaction the database aborts as a serialization failure or deadlock
// victim (SQLSTATE 40001, 40P01) is run again, as is one whose connection
// broke before its commit was sent (the server rolled it back); an update
// function given to UpdateUser or UpdateClient may therefore be called more
// than once. A commit whose answer is lost with its connection is not run
// again: it may have happened. When one connection breaks, the pool drops
// them all and connects anew, so a store recovers without a restart once
// the database is reachable again, and fails fast while it is not.
//
// The tables live in the connection's current schema: "?search_path=NAME"
// in the URL puts them in schema NAME. Strings cannot hold NUL characters or
// invalid UTF-8, which PostgreSQL refuses.
//
// PostgreSQL-compatible databases: CockroachDB has no working advisory
// locks (older versions define the functions as no-ops); there migrations
// rely on the primary key of schema_migrations and are retried, and
// operators should run "authserver migrate" once before starting replicas.
// Where pg_advisory_xact_lock is missing (YugabyteDB without advisory
// locks), the same fallback applies. See docs/scaling.md for what was and
// was not checked.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
	s, err := openMigrated(ctx, o.existing, func() (*Store, error) { return connectPostgres(ctx, dsn, opts...) }, nil)
	if err != nil {
		if cause := postgresCause(err); cause != nil {
			err = fmt.Errorf("%w: %w", cause, err)
		}
		return nil, err
	}
	return s, nil
}

// connectPostgres opens the pool and checks that the database answers,
// without migrating.
func connectPostgres(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := newOptions(opts)
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
	p := newPgxPool(pool)
	s := newStore(postgresDialect, p, p, o)
	s.resetPool = pool.Reset
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
