package sqlite

import (
	"context"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// ClaimOnce records that the one-time step name has run; true for the
// first caller only.
func (s *Store) ClaimOnce(ctx context.Context, name string, at time.Time) (bool, error) {
	if err := sqlcodec.CheckClaim(name, at); err != nil {
		return false, errs.Prefix("claim once", err)
	}
	res, err := s.write.ExecContext(ctx, `INSERT INTO once_steps (name, ran_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, encTime(at))
	if err != nil {
		return false, wrap("claim once", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("claim once", err)
	}
	return n == 1, nil
}
