package sqlstore

import (
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is all that the store does differently on SQLite and on
// PostgreSQL. Queries and shared migrations are written once, with ?
// placeholders and {tokens} for what differs (column types, row locks, list
// parameters); translate turns them into the dialect's SQL, once per query,
// when a Store opens. The rest is how list columns are encoded, how driver
// errors are classified, and how often an operation is retried. Upserts
// need nothing here: both databases take INSERT … ON CONFLICT as written.
type dialect struct {
	// name prefixes errors and selects the dialect's own migration files.
	name string
	// numbered placeholders ($1, $2, …) instead of ?.
	numbered bool
	// tokens maps every {token} to the dialect's text.
	tokens map[string]string
	// boolColumn is the definition of a boolean column, given its name.
	boolColumn string
	// list returns the value of a list column: written as the dialect
	// stores lists, read back into *l.
	list func(l *[]string) any
	// migrationLock is a statement with one ? for a lock key that
	// serialises migrations across processes for the length of a
	// transaction, or "" where write transactions already run one at a
	// time.
	migrationLock string

	// Error classification.
	unique func(error) bool // unique or primary key violation
	busy   func(error) bool // the database is locked by another connection
	// retryable: the operation certainly changed nothing and may run again
	// (a serialization failure, a deadlock victim, nothing sent).
	retryable func(error) bool
	// connectionLost: an established connection broke, or the server ended
	// the session; false for a connection that could not be made.
	connectionLost func(error) bool
	// migrationConflict: a concurrent migrator created the same table or
	// row first; migrations retry on it when no lock kept them apart.
	migrationConflict func(error) bool
	// noAdvisoryLocks: migrationLock failed because the database lacks
	// the function or the feature.
	noAdvisoryLocks func(error) bool

	// Retry policy: how often an operation runs at most when it fails
	// retryably, and how often a read runs when its connection broke.
	maxAttempts, maxConnLostAttempts int
}

var sqliteDialect = &dialect{
	name: "sqlite",
	tokens: map[string]string{
		"int":                    "INTEGER",
		"time":                   "INTEGER",
		"bytes":                  "BLOB",
		"list":                   "TEXT",
		"empty list":             "'[]'",
		"false":                  "0",
		"for update":             "",
		"for update skip locked": "",
		"in list":                "IN (SELECT value FROM json_each(?))",
		"table exists":           "EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?)",
	},
	boolColumn:        "%[1]s INTEGER CHECK (%[1]s IN (0, 1))",
	list:              func(l *[]string) any { return (*jsonList)(l) },
	unique:            sqliteCodeIs(sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY),
	busy:              sqliteBusy,
	retryable:         never,
	connectionLost:    never,
	migrationConflict: never,
	noAdvisoryLocks:   never,

	maxAttempts:         1,
	maxConnLostAttempts: 1,
}

var postgresDialect = &dialect{
	name:     "postgres",
	numbered: true,
	tokens: map[string]string{
		"int":                    "BIGINT",
		"time":                   "BIGINT",
		"bytes":                  "BYTEA",
		"list":                   "TEXT[]",
		"empty list":             "'{}'",
		"false":                  "FALSE",
		"for update":             "FOR UPDATE",
		"for update skip locked": "FOR UPDATE SKIP LOCKED",
		"in list":                "= ANY (?)",
		"table exists":           "EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?)",
	},
	boolColumn:        "%[1]s BOOLEAN",
	list:              func(l *[]string) any { return (*pgList)(l) },
	migrationLock:     `SELECT pg_advisory_xact_lock(?)`,
	unique:            pgCodeIs(pgUniqueViolation),
	busy:              never,
	retryable:         pgRetryable,
	connectionLost:    pgConnectionLost,
	migrationConflict: pgCodeIs(pgUniqueViolation, pgDuplicateTable, pgDuplicateObject, pgDuplicateColumn),
	noAdvisoryLocks:   pgCodeIs(pgUndefinedFunction, pgFeatureNotSupported),

	maxAttempts:         30,
	maxConnLostAttempts: 3,
}

var (
	tokenPattern = regexp.MustCompile(`\{[a-z ]+\}`)
	boolPattern  = regexp.MustCompile(`(\w+)\s+\{bool\}`)
)

// translate returns query, or a shared migration, in the dialect: each
// "name {bool}" column definition and each {token} replaced, and, for a
// dialect with numbered placeholders, each ? outside quotes and comments
// numbered. It
// panics on an unknown token: queries are translated when a Store opens,
// and the tests open one of each dialect.
func (d *dialect) translate(query string) string {
	query = boolPattern.ReplaceAllStringFunc(query, func(m string) string {
		return fmt.Sprintf(d.boolColumn, boolPattern.FindStringSubmatch(m)[1])
	})
	query = tokenPattern.ReplaceAllStringFunc(query, func(m string) string {
		text, ok := d.tokens[m[1:len(m)-1]]
		if !ok {
			panic(fmt.Sprintf("sqlstore: %s: unknown token %s in %q", d.name, m, query))
		}
		return text
	})
	if !d.numbered {
		return query
	}
	var b strings.Builder
	n, quote := 0, byte(0)
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote == '\n':
			if c == '\n' {
				quote = 0
			}
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			quote = '\n' // a comment, to the end of the line
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func never(error) bool { return false }

// sqliteCodeIs reports whether an error has one of the extended result
// codes.
func sqliteCodeIs(codes ...int) func(error) bool {
	return func(err error) bool {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return false
		}
		for _, c := range codes {
			if se.Code() == c {
				return true
			}
		}
		return false
	}
}

// sqliteBusy reports SQLITE_BUSY with any extended code.
func sqliteBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// SQLSTATE codes the store acts on.
const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
	pgUndefinedFunction    = "42883"
	pgFeatureNotSupported  = "0A000"
	pgDuplicateTable       = "42P07"
	pgDuplicateObject      = "42710"
	pgDuplicateColumn      = "42701"
	pgAdminShutdown        = "57P01"
	pgCrashShutdown        = "57P02"
)

// pgState returns err's SQLSTATE, or "" if the server did not report it.
func pgState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func pgCodeIs(codes ...string) func(error) bool {
	return func(err error) bool {
		state := pgState(err)
		for _, c := range codes {
			if state == c {
				return true
			}
		}
		return false
	}
}

// pgRetryable: the server aborted the transaction as a serialization
// failure or a deadlock victim, or the statement failed before anything was
// sent to the server, or the transaction's connection broke before its
// commit was sent (notCommitted).
func pgRetryable(err error) bool {
	if errors.As(err, new(notCommitted)) {
		return true
	}
	switch pgState(err) {
	case pgSerializationFailure, pgDeadlockDetected:
		return true
	case "":
		return pgconn.SafeToRetry(err)
	}
	return false
}

// pgConnectionLost: an established connection broke (an EOF, a network
// error other than a timeout), or the server ended the session as it shut
// down. False for a connection that could not be made, and for timeouts.
func pgConnectionLost(err error) bool {
	if errors.As(err, new(*pgconn.ConnectError)) {
		return false
	}
	switch pgState(err) {
	case "":
	case pgAdminShutdown, pgCrashShutdown:
		return true
	default:
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return !ne.Timeout()
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// notCommitted is a transaction whose connection broke before COMMIT was
// sent: the server rolled it back, so it may run again. (A connection that
// breaks during COMMIT leaves the outcome unknown; that is not retried.)
type notCommitted struct{ err error }

func (e notCommitted) Error() string     { return e.err.Error() }
func (e notCommitted) Unwrap() error     { return e.err }
func (e notCommitted) SafeToRetry() bool { return true }
