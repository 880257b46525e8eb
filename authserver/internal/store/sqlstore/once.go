package sqlstore

import (
	"context"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

var qClaimOnce = newQuery(`INSERT INTO once_steps (name, ran_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`)

// ClaimOnce records that the one-time step name has run; true for the
// first caller only, in any process.
func (s *Store) ClaimOnce(ctx context.Context, name string, at time.Time) (bool, error) {
	if err := sqlcodec.CheckClaim(name, at); err != nil {
		return false, s.errs.Prefix("claim once", err)
	}
	n, err := s.exec(ctx, qClaimOnce, name, (*nanos)(&at))
	if err != nil {
		return false, s.wrap("claim once", err)
	}
	return n == 1, nil
}
