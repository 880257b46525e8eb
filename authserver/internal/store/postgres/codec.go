package postgres

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// encTime encodes t as nanoseconds since the Unix epoch; the zero time as
// NULL. t must have passed sqlcodec.CheckTimes.
func encTime(t time.Time) pgtype.Int8 {
	n, ok := sqlcodec.Nanos(t)
	return pgtype.Int8{Int64: n, Valid: ok}
}

// decTime is the inverse of encTime; times come back in UTC.
func decTime(n pgtype.Int8) time.Time { return sqlcodec.Time(n.Int64, n.Valid) }

// encList returns a list to store in a TEXT[] NOT NULL column: nil becomes
// an empty array, not NULL.
func encList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// SQLSTATE codes the store acts on.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeUndefinedFunction    = "42883"
	codeFeatureNotSupported  = "0A000"
	codeDuplicateTable       = "42P07"
	codeDuplicateObject      = "42710"
	codeAdminShutdown        = "57P01"
	codeCrashShutdown        = "57P02"
)

// sqlState returns err's SQLSTATE, or "" if the server did not report it.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable reports whether err guarantees that the operation changed
// nothing and may simply run again: the server aborted the transaction as a
// serialization failure or a deadlock victim, or the statement failed before
// anything was sent to the server.
func retryable(err error) bool {
	if errors.As(err, new(notCommitted)) {
		return true
	}
	switch sqlState(err) {
	case codeSerializationFailure, codeDeadlockDetected:
		return true
	case "":
		return pgconn.SafeToRetry(err)
	}
	return false
}

// notCommitted is a transaction whose connection broke before COMMIT was
// sent: the server rolled it back, so it may run again. (A connection that
// breaks during COMMIT leaves the outcome unknown; that is not retried.)
type notCommitted struct{ err error }

func (e notCommitted) Error() string     { return e.err.Error() }
func (e notCommitted) Unwrap() error     { return e.err }
func (e notCommitted) SafeToRetry() bool { return true }

// connectionLost reports whether err says that an established connection
// broke, or that the server ended the session as it shut down. It is false
// for a connection that could not be made, and for timeouts.
func connectionLost(err error) bool {
	if errors.As(err, new(*pgconn.ConnectError)) {
		return false
	}
	switch sqlState(err) {
	case "":
	case codeAdminShutdown, codeCrashShutdown:
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

// errs maps the driver's errors to the store's.
var errs = sqlcodec.Errors{
	Backend:  "postgres",
	NoRows:   pgx.ErrNoRows,
	IsUnique: func(err error) bool { return sqlState(err) == codeUniqueViolation },
}

// wrap gives err the operation as context, mapping pgx.ErrNoRows to
// store.ErrNotFound and unique violations to store.ErrAlreadyExists. Errors
// that already are one of the store's errors are kept.
func wrap(op string, err error) error { return errs.Wrap(op, err) }

// mustAffect returns store.ErrNotFound if tag reports no affected row.
func mustAffect(tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
