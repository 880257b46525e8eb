package sqlstore

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// The types below are the columns whose stored form differs from the Go
// value. Each is a named form of the record's own field, so that a pointer
// to the field, converted, is both the value written and the destination
// read into, for database/sql (driver.Valuer, sql.Scanner) and for pgx (its
// pgtype interfaces): one list of fields serves inserts, updates and scans.

// nanos is a time stored as int64 nanoseconds since the Unix epoch, the
// zero time as NULL; it comes back in UTC. Times must have passed
// sqlcodec.CheckTimes.
type nanos time.Time

func (t *nanos) Value() (driver.Value, error) {
	n, ok := sqlcodec.Nanos(time.Time(*t))
	if !ok {
		return nil, nil
	}
	return n, nil
}

// Int64Value and ScanInt64 are Value and Scan for pgx.
func (t *nanos) Int64Value() (pgtype.Int8, error) {
	n, ok := sqlcodec.Nanos(time.Time(*t))
	return pgtype.Int8{Int64: n, Valid: ok}, nil
}

func (t *nanos) ScanInt64(n pgtype.Int8) error {
	*t = nanos(sqlcodec.Time(n.Int64, n.Valid))
	return nil
}

func (t *nanos) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = nanos{}
	case int64:
		*t = nanos(sqlcodec.Time(v, true))
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// blob is a byte slice stored as NULL when empty; NULL and empty both come
// back as nil.
type blob []byte

func (b *blob) Value() (driver.Value, error) {
	if len(*b) == 0 {
		return nil, nil
	}
	return []byte(*b), nil
}

// BytesValue and ScanBytes are Value and Scan for pgx.
func (b *blob) BytesValue() ([]byte, error) { return sqlcodec.Bytes(*b), nil }

func (b *blob) ScanBytes(v []byte) error {
	*b = sqlcodec.Bytes(append([]byte(nil), v...))
	return nil
}

func (b *blob) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*b = nil
	case []byte:
		// The driver may reuse v once Scan returns.
		*b = sqlcodec.Bytes(append([]byte(nil), v...))
	default:
		return fmt.Errorf("bytes column holds %T", src)
	}
	return nil
}

// jsonList is a list stored as a JSON array of strings in a TEXT column,
// nil as "[]"; an empty list comes back as nil.
type jsonList []string

func (l *jsonList) Value() (driver.Value, error) {
	if len(*l) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal([]string(*l))
	return string(b), err
}

func (l *jsonList) Scan(src any) error {
	var text []byte
	switch v := src.(type) {
	case string:
		text = []byte(v)
	case []byte:
		text = v
	default:
		return fmt.Errorf("list column holds %T", src)
	}
	var list []string
	if err := json.Unmarshal(text, &list); err != nil {
		return fmt.Errorf("decode list: %w", err)
	}
	*l = sqlcodec.List(list)
	return nil
}

// pgList is a list stored as a PostgreSQL TEXT[], never NULL; an empty
// list comes back as nil. pgx reads and writes it as an array
// (pgtype.ArrayGetter and pgtype.ArraySetter), in its binary form.
type pgList []string

func (l *pgList) Dimensions() []pgtype.ArrayDimension {
	if len(*l) == 0 {
		return []pgtype.ArrayDimension{} // empty, not NULL
	}
	return []pgtype.ArrayDimension{{Length: int32(len(*l)), LowerBound: 1}}
}

func (l *pgList) Index(i int) any     { return (*l)[i] }
func (l *pgList) IndexType() any      { return "" }
func (l *pgList) ScanIndex(i int) any { return &(*l)[i] }
func (l *pgList) ScanIndexType() any  { return new(string) }

func (l *pgList) SetDimensions(dims []pgtype.ArrayDimension) error {
	if len(dims) > 1 {
		return fmt.Errorf("list column holds a %d-dimensional array", len(dims))
	}
	*l = nil
	if len(dims) == 1 && dims[0].Length > 0 {
		*l = make(pgList, dims[0].Length)
	}
	return nil
}
