package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// encTime encodes t as nanoseconds since the Unix epoch; the zero time as
// NULL. t must have passed sqlcodec.CheckTimes.
func encTime(t time.Time) sql.NullInt64 {
	n, ok := sqlcodec.Nanos(t)
	return sql.NullInt64{Int64: n, Valid: ok}
}

// decTime is the inverse of encTime; times come back in UTC.
func decTime(n sql.NullInt64) time.Time { return sqlcodec.Time(n.Int64, n.Valid) }

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
	return sqlcodec.List(l), nil
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

// errs maps the driver's errors to the store's.
var errs = sqlcodec.Errors{Backend: "sqlite", NoRows: sql.ErrNoRows, IsUnique: isUnique}

// wrap gives err the operation as context, mapping sql.ErrNoRows to
// store.ErrNotFound and unique violations to store.ErrAlreadyExists. Errors
// that already are one of the store's errors are kept.
func wrap(op string, err error) error { return errs.Wrap(op, err) }
