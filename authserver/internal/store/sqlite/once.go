package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ClaimOnce records that the one-time step name has run; true for the
// first caller only.
func (s *Store) ClaimOnce(ctx context.Context, name string, at time.Time) (bool, error) {
	if name == "" {
		return false, errors.New("sqlite: claim once: empty name")
	}
	if err := checkTimes(at); err != nil {
		return false, fmt.Errorf("sqlite: claim once: %w", err)
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
