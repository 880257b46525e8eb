package postgres

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// The range of times that fit in int64 nanoseconds since the Unix epoch.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// errTimeRange is returned for a time that cannot be stored.
var errTimeRange = errors.New("time outside the storable range (years 1678 to 2262)")

// checkTimes returns errTimeRange if any non-zero time cannot be stored.
func checkTimes(ts ...time.Time) error {
	for _, t := range ts {
		if !t.IsZero() && (t.Before(minTime) || t.After(maxTime)) {
			return errTimeRange
		}
	}
	return nil
}

// requireTimes returns an error if any time is zero or cannot be stored.
func requireTimes(ts ...time.Time) error {
	for _, t := range ts {
		if t.IsZero() {
			return errors.New("expiry time is required")
		}
	}
	return checkTimes(ts...)
}

// encTime encodes t as nanoseconds since the Unix epoch; the zero time as
// NULL. t must have passed checkTimes.
func encTime(t time.Time) pgtype.Int8 {
	if t.IsZero() {
		return pgtype.Int8{}
	}
	return pgtype.Int8{Int64: t.UnixNano(), Valid: true}
}

// decTime is the inverse of encTime; times come back in UTC.
func decTime(n pgtype.Int8) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// encList returns a list to store in a TEXT[] NOT NULL column: nil becomes
// an empty array, not NULL.
func encList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// decList returns nil for an empty list.
func decList(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}

// encBytes stores an empty slice as NULL.
func encBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// decBytes returns nil for NULL or empty.
func decBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
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

// wrap gives err the operation as context, mapping pgx.ErrNoRows to
// store.ErrNotFound and unique violations to store.ErrAlreadyExists. Errors
// that already are one of the store's errors are kept.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("postgres: %s: %w", op, store.ErrNotFound)
	case sqlState(err) == codeUniqueViolation:
		return fmt.Errorf("postgres: %s: %w", op, store.ErrAlreadyExists)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// mustAffect returns store.ErrNotFound if tag reports no affected row.
func mustAffect(tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
