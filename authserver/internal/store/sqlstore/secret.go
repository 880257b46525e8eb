package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

var (
	qInsertSecret = newQuery(`INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`)
	qGetSecret    = newQuery(`SELECT value FROM server_secrets WHERE name = ?`)
)

// Secret returns the secret stored under name, storing candidate first if
// there is none. Of concurrent first callers, in any process, the first
// insert wins and every caller reads it back.
func (s *Store) Secret(ctx context.Context, name string, candidate []byte, now time.Time) ([]byte, error) {
	if name == "" || len(candidate) == 0 {
		return nil, s.errs.Prefix("secret", errors.New("empty name or value"))
	}
	if err := sqlcodec.RequireTimes(now); err != nil {
		return nil, s.errs.Prefix("secret", err)
	}
	if _, err := s.exec(ctx, qInsertSecret, name, (*blob)(&candidate), (*nanos)(&now)); err != nil {
		return nil, s.wrap("secret", err)
	}
	var v []byte
	err := s.retryRead(ctx, func() error { return s.queryRow(ctx, qGetSecret, name).Scan((*blob)(&v)) })
	if err != nil {
		return nil, s.wrap("secret", err)
	}
	return v, nil
}
