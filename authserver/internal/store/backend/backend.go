package backend

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

// Store is a store.Store that also manages its schema.
type Store interface {
	store.Store
	// Migrate applies the schema migrations the database lacks.
	Migrate(ctx context.Context) error
	// SchemaVersion returns the schema version of the database.
	SchemaVersion(ctx context.Context) (int, error)
}

var _ Store = (*sqlstore.Store)(nil)

// IsPostgres reports whether dsn names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(dsn string) bool {
	scheme, _, ok := strings.Cut(dsn, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}

// Open opens the backend dsn names and applies pending migrations. logger
// receives the backend's logs and now is its clock; more options (such as
// sqlstore.WithExisting) may follow. Errors never contain the password of a
// URL, and name the cause in words when the backend can tell it: they
// wrap store.ErrMissing, ErrDiskFull, ErrReadOnly or ErrLocked.
func Open(ctx context.Context, dsn string, logger *slog.Logger, now func() time.Time, more ...sqlstore.Option) (Store, error) {
	opts := append([]sqlstore.Option{sqlstore.WithLogger(logger), sqlstore.WithClock(now)}, more...)
	if IsPostgres(dsn) {
		return sqlstore.OpenPostgres(ctx, dsn, opts...)
	}
	return sqlstore.OpenSQLite(ctx, dsn, opts...)
}

// Redact returns dsn fit for messages and logs: a PostgreSQL URL with its
// password (in the user information or the password parameter) masked, a
// SQLite path as it is.
func Redact(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		// Where the password ends cannot be told; show none of it.
		scheme, _, _ := strings.Cut(dsn, "://")
		return scheme + "://(unparsable URL)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
