package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestTranslate(t *testing.T) {
	tests := []struct {
		name, in         string
		sqlite, postgres string
	}{
		{"placeholders", `SELECT a FROM t WHERE b = ? AND c = ?`,
			`SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{"quotes and comments keep their question marks", "SELECT '?', \"a?\" -- why?\nFROM t WHERE b = ?",
			"SELECT '?', \"a?\" -- why?\nFROM t WHERE b = ?", "SELECT '?', \"a?\" -- why?\nFROM t WHERE b = $1"},
		{"row locks", `SELECT a FROM t WHERE b = ? {for update}`,
			`SELECT a FROM t WHERE b = ? `, `SELECT a FROM t WHERE b = $1 FOR UPDATE`},
		{"skipping locked rows", `SELECT a FROM t LIMIT ? {for update skip locked}`,
			`SELECT a FROM t LIMIT ? `, `SELECT a FROM t LIMIT $1 FOR UPDATE SKIP LOCKED`},
		{"list parameter", `DELETE FROM t WHERE a {in list} AND b = ?`,
			`DELETE FROM t WHERE a IN (SELECT value FROM json_each(?)) AND b = ?`, `DELETE FROM t WHERE a = ANY ($1) AND b = $2`},
		{"column types", `CREATE TABLE t (a {int} NOT NULL, b {time}, c {bytes}, d {list} NOT NULL)`,
			`CREATE TABLE t (a INTEGER NOT NULL, b INTEGER, c BLOB, d TEXT NOT NULL)`,
			`CREATE TABLE t (a BIGINT NOT NULL, b BIGINT, c BYTEA, d TEXT[] NOT NULL)`},
		{"boolean column", "CREATE TABLE t (\n\tdisabled  {bool} NOT NULL\n)",
			"CREATE TABLE t (\n\tdisabled INTEGER CHECK (disabled IN (0, 1)) NOT NULL\n)",
			"CREATE TABLE t (\n\tdisabled BOOLEAN NOT NULL\n)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sqliteDialect.translate(tc.in); got != tc.sqlite {
				t.Errorf("SQLite:\n got  %q\n want %q", got, tc.sqlite)
			}
			if got := postgresDialect.translate(tc.in); got != tc.postgres {
				t.Errorf("PostgreSQL:\n got  %q\n want %q", got, tc.postgres)
			}
		})
	}
}

func TestTranslateUnknownToken(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "{lock}") {
			t.Fatalf("recovered %v, want a panic naming the token", r)
		}
	}()
	postgresDialect.translate(`SELECT a FROM t {lock}`)
}

// TestEveryQueryTranslates translates every query of the store for both
// dialects: no token is left, and PostgreSQL's have no ? left.
func TestEveryQueryTranslates(t *testing.T) {
	for _, d := range []*dialect{sqliteDialect, postgresDialect} {
		for _, q := range queryTexts {
			got := d.translate(q)
			if strings.ContainsAny(got, "{}") || (d.numbered && strings.Contains(got, "?")) {
				t.Errorf("%s: %q translates to %q", d.name, q, got)
			}
		}
	}
}

func TestPostgresClassification(t *testing.T) {
	pgErr := func(code string) error { return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code}) }
	netErr := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
	connect := &pgconn.ConnectError{Config: &pgconn.Config{}}
	d := postgresDialect
	tests := []struct {
		name                                                string
		err                                                 error
		unique, retryable, lost, conflict, noAdvisory, busy bool
	}{
		{"unique violation", pgErr("23505"), true, false, false, true, false, false},
		{"serialization failure", pgErr("40001"), false, true, false, false, false, false},
		{"deadlock", pgErr("40P01"), false, true, false, false, false, false},
		{"duplicate table", pgErr("42P07"), false, false, false, true, false, false},
		{"duplicate object", pgErr("42710"), false, false, false, true, false, false},
		{"no advisory lock function", pgErr("42883"), false, false, false, false, true, false},
		{"feature not supported", pgErr("0A000"), false, false, false, false, true, false},
		{"server shutting down", pgErr("57P01"), false, false, true, false, false, false},
		{"server crashed", pgErr("57P02"), false, false, true, false, false, false},
		{"other server error", pgErr("22P02"), false, false, false, false, false, false},
		{"connection reset", netErr, false, false, true, false, false, false},
		{"EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), false, false, true, false, false, false},
		{"timeout", timeout, false, false, false, false, false, false},
		{"cannot connect", connect, false, false, false, false, false, false},
		{"broke before commit", notCommitted{netErr}, false, true, true, false, false, false},
		{"no rows", sql.ErrNoRows, false, false, false, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				what      string
				got, want bool
			}{
				{"unique", d.unique(tc.err), tc.unique},
				{"retryable", d.retryable(tc.err), tc.retryable},
				{"connection lost", d.connectionLost(tc.err), tc.lost},
				{"migration conflict", d.migrationConflict(tc.err), tc.conflict},
				{"no advisory locks", d.noAdvisoryLocks(tc.err), tc.noAdvisory},
				{"busy", d.busy(tc.err), tc.busy},
			} {
				if c.got != c.want {
					t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}
}

// TestSQLiteClassification classifies errors that SQLite itself returns.
func TestSQLiteClassification(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	open := func() *sql.DB {
		db, err := sql.Open("sqlite", dsn(path, nil))
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	if _, err := a.ExecContext(ctx, `CREATE TABLE t (id TEXT PRIMARY KEY, u TEXT UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecContext(ctx, `INSERT INTO t VALUES ('a', 'x')`); err != nil {
		t.Fatal(err)
	}
	_, pk := a.ExecContext(ctx, `INSERT INTO t VALUES ('a', 'y')`)
	_, unique := a.ExecContext(ctx, `INSERT INTO t VALUES ('b', 'x')`)
	_, syntax := a.ExecContext(ctx, `INSERT INTO`)
	// b finds the database locked by a's write transaction.
	tx, err := a.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO t VALUES ('c', 'z')`); err != nil {
		t.Fatal(err)
	}
	_, busy := b.ExecContext(ctx, `INSERT INTO t VALUES ('d', 'w')`)

	d := sqliteDialect
	for _, tc := range []struct {
		name         string
		err          error
		unique, busy bool
	}{
		{"primary key violation", pk, true, false},
		{"unique violation", unique, true, false},
		{"busy", busy, false, true},
		{"syntax error", syntax, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error")
			}
			if d.unique(tc.err) != tc.unique || d.busy(tc.err) != tc.busy {
				t.Fatalf("%v: unique %v, busy %v; want %v, %v", tc.err, d.unique(tc.err), d.busy(tc.err), tc.unique, tc.busy)
			}
			// SQLite's own transactions serialise writers: nothing is
			// retried or taken for a lost connection.
			if d.retryable(tc.err) || d.connectionLost(tc.err) || d.migrationConflict(tc.err) {
				t.Fatalf("%v: classified as retryable, lost or a migration conflict", tc.err)
			}
		})
	}
}
