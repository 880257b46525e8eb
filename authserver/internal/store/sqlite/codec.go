package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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
func encTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// decTime is the inverse of encTime; times come back in UTC.
func decTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// encList encodes a list as a JSON array; nil as "[]".
func encList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, err := json.Marshal(l)
	if err != nil {
		// Marshalling a []string cannot fail.
		panic(err)
	}
	return string(b)
}

// decList is the inverse of encList; an empty list comes back as nil.
func decList(s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	if len(l) == 0 {
		return nil, nil
	}
	return l, nil
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

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// isBusy reports whether err is SQLITE_BUSY (with any extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// wrap gives err the operation as context, mapping sql.ErrNoRows to
// store.ErrNotFound and unique violations to store.ErrAlreadyExists. Errors
// that already are one of the store's errors are kept.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	case isUnique(err):
		return fmt.Errorf("sqlite: %s: %w", op, store.ErrAlreadyExists)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
