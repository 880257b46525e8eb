package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
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

// sqlPool is a database/sql pool, with the statements prepared on it.
type sqlPool struct {
	db    *sql.DB
	stmts map[string]*sql.Stmt // by query; read-only once prepared
}

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

func (p *sqlPool) exec(ctx context.Context, query string, args ...any) (int64, error) {
	return sqlExec(p.db.ExecContext(ctx, query, args...))
}

func (p *sqlPool) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	if st := p.stmts[query]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, query, args...)
}

func (p *sqlPool) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := p.db.QueryContext(ctx, query, args...)
	return sqlRows{r}, err
}

func (p *sqlPool) begin(ctx context.Context) (txQuerier, error) {
	t, err := p.db.BeginTx(ctx, nil)
	return sqlTx{t}, err
}

func (p *sqlPool) ping(ctx context.Context) error { return p.db.PingContext(ctx) }
func (p *sqlPool) close() error {
	var errs []error
	for _, st := range p.stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(append(errs, p.db.Close())...)
}

type sqlTx struct{ tx *sql.Tx }

func (t sqlTx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	return sqlExec(t.tx.ExecContext(ctx, query, args...))
}

func (t sqlTx) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	return t.tx.QueryRowContext(ctx, query, args...)
}

func (t sqlTx) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := t.tx.QueryContext(ctx, query, args...)
	return sqlRows{r}, err
}

func (t sqlTx) commit(context.Context) error   { return t.tx.Commit() }
func (t sqlTx) rollback(context.Context) error { return t.tx.Rollback() }

func sqlExec(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

// pgxPool is a pgx pool.
type pgxPool struct{ p *pgxpool.Pool }

func (p pgxPool) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := p.p.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (p pgxPool) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	return p.p.QueryRow(ctx, query, args...)
}

func (p pgxPool) query(ctx context.Context, query string, args ...any) (rows, error) {
	return p.p.Query(ctx, query, args...)
}

func (p pgxPool) begin(ctx context.Context) (txQuerier, error) {
	t, err := p.p.Begin(ctx)
	return pgxTx{t}, err
}

func (p pgxPool) ping(ctx context.Context) error { return p.p.Ping(ctx) }
func (p pgxPool) close() error                   { p.p.Close(); return nil }

type pgxTx struct{ tx pgx.Tx }

func (t pgxTx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (t pgxTx) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	return t.tx.QueryRow(ctx, query, args...)
}

func (t pgxTx) query(ctx context.Context, query string, args ...any) (rows, error) {
	return t.tx.Query(ctx, query, args...)
}

func (t pgxTx) commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t pgxTx) rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
