package sqlstore

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// The types below are the columns whose stored form differs from the Go
// value. Each is a named form of the record's own field, so that a pointer
// to the field, converted, is both the value written (driver.Valuer) and the
// destination read into (sql.Scanner): one list of fields serves inserts,
// updates and scans.

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
// list comes back as nil. It is written as a []string, which the driver
// encodes, and read from the array's text form.
type pgList []string

func (l *pgList) Value() (driver.Value, error) {
	if *l == nil {
		return []string{}, nil
	}
	return []string(*l), nil
}

func (l *pgList) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return fmt.Errorf("list column holds %T", src)
	}
	list, err := parsePgArray(text)
	if err != nil {
		return err
	}
	*l = sqlcodec.List(list)
	return nil
}

var errPgArray = errors.New("malformed text array")

// parsePgArray parses the text form of a one-dimensional PostgreSQL array
// of text without NULL elements: {a,"b c","d\"e"}. Elements are quoted when
// they are empty or hold a delimiter, a quote, a backslash or white space;
// within quotes a backslash escapes the next character.
func parsePgArray(s string) ([]string, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("%w: %q", errPgArray, s)
	}
	body := s[1 : len(s)-1]
	if body == "" {
		return nil, nil
	}
	var (
		list []string
		elem strings.Builder
	)
	for i := 0; ; {
		elem.Reset()
		if i < len(body) && body[i] == '"' {
			i++
			for ; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' {
					i++
					if i == len(body) {
						return nil, fmt.Errorf("%w: %q", errPgArray, s)
					}
				}
				elem.WriteByte(body[i])
			}
			if i == len(body) {
				return nil, fmt.Errorf("%w: %q", errPgArray, s)
			}
			i++ // the closing quote
		} else {
			start := i
			for i < len(body) && body[i] != ',' {
				if body[i] == '"' || body[i] == '\\' || body[i] == '{' || body[i] == '}' {
					return nil, fmt.Errorf("%w: %q", errPgArray, s)
				}
				i++
			}
			if i == start || strings.EqualFold(body[start:i], "NULL") {
				return nil, fmt.Errorf("%w: %q", errPgArray, s)
			}
			elem.WriteString(body[start:i])
		}
		list = append(list, elem.String())
		if i == len(body) {
			return list, nil
		}
		if body[i] != ',' {
			return nil, fmt.Errorf("%w: %q", errPgArray, s)
		}
		i++
	}
}
