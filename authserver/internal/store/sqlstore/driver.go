package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The store runs its statements through the small interfaces below, so
// that one implementation works on both drivers: database/sql for SQLite
// (modernc.org/sqlite has no other interface) and pgx's own for PostgreSQL,
// which measured faster than pgx through database/sql (database/sql starts
// a goroutine per query to watch its context). A row that is not found is
// sql.ErrNoRows on both (pgx.ErrNoRows matches it).

// querier runs statements: a pool or a transaction.
type querier interface {
	// exec runs a statement and returns how many rows it changed.
	exec(ctx context.Context, query string, args ...any) (int64, error)
	queryRow(ctx context.Context, query string, args ...any) rowScanner
	query(ctx context.Context, query string, args ...any) (rows, error)
}

// rows are the rows a query returns; Close must be called.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// pool is a database's pool of connections.
type pool interface {
	querier
	begin(ctx context.Context) (txQuerier, error)
	ping(ctx context.Context) error
	close() error
}

// txQuerier is a transaction.
type txQuerier interface {
	querier
	commit(ctx context.Context) error
	rollback(ctx context.Context) error
}

// sqlQuerier runs statements on a database/sql pool or transaction.
type sqlQuerier struct {
	q interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
}

func (q sqlQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqlQuerier) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	return q.q.QueryRowContext(ctx, query, args...)
}

func (q sqlQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := q.q.QueryContext(ctx, query, args...)
	return sqlRows{r}, err
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

// sqlPool is a database/sql pool, with the statements prepared on it.
type sqlPool struct {
	sqlQuerier
	db    *sql.DB
	stmts map[string]*sql.Stmt // by query; read-only once prepared
}

func newSQLPool(db *sql.DB) *sqlPool { return &sqlPool{sqlQuerier: sqlQuerier{db}, db: db} }

// prepare prepares each of queries once on the pool (database/sql prepares
// them again on each connection as needed).
func (p *sqlPool) prepare(ctx context.Context, queries []string) error {
	p.stmts = make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		st, err := p.db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		p.stmts[q] = st
	}
	return nil
}

// queryRow runs query on its prepared statement if there is one.
func (p *sqlPool) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	if st := p.stmts[query]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.sqlQuerier.queryRow(ctx, query, args...)
}

func (p *sqlPool) begin(ctx context.Context) (txQuerier, error) {
	t, err := p.db.BeginTx(ctx, nil)
	return sqlTx{sqlQuerier{t}, t}, err
}

func (p *sqlPool) ping(ctx context.Context) error { return p.db.PingContext(ctx) }

func (p *sqlPool) close() error {
	var errs []error
	for _, st := range p.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(append(errs, p.db.Close())...)
}

type sqlTx struct {
	sqlQuerier
	tx *sql.Tx
}

func (t sqlTx) commit(context.Context) error   { return t.tx.Commit() }
func (t sqlTx) rollback(context.Context) error { return t.tx.Rollback() }

// pgxQuerier runs statements on a pgx pool or transaction.
type pgxQuerier struct {
	q interface {
		Exec(ctx context.Context, query string, args ...any) (pgconn.CommandTag, error)
		QueryRow(ctx context.Context, query string, args ...any) pgx.Row
		Query(ctx context.Context, query string, args ...any) (pgx.Rows, error)
	}
}

func (q pgxQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (q pgxQuerier) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	return q.q.QueryRow(ctx, query, args...)
}

func (q pgxQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	return q.q.Query(ctx, query, args...)
}

// pgxPool is a pgx pool.
type pgxPool struct {
	pgxQuerier
	p *pgxpool.Pool
}

func newPgxPool(p *pgxpool.Pool) pgxPool { return pgxPool{pgxQuerier{p}, p} }

func (p pgxPool) begin(ctx context.Context) (txQuerier, error) {
	t, err := p.p.Begin(ctx)
	return pgxTx{pgxQuerier{t}, t}, err
}

func (p pgxPool) ping(ctx context.Context) error { return p.p.Ping(ctx) }
func (p pgxPool) close() error                   { p.p.Close(); return nil }

type pgxTx struct {
	pgxQuerier
	tx pgx.Tx
}

func (t pgxTx) commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t pgxTx) rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
