package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ClaimOnce records that the one-time step name has run; true for the
// first caller only, in any process.
func (s *Store) ClaimOnce(ctx context.Context, name string, at time.Time) (bool, error) {
	if name == "" {
		return false, errors.New("postgres: claim once: empty name")
	}
	if err := checkTimes(at); err != nil {
		return false, fmt.Errorf("postgres: claim once: %w", err)
	}
	tag, err := s.exec(ctx, `INSERT INTO once_steps (name, ran_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		name, encTime(at))
	if err != nil {
		return false, wrap("claim once", err)
	}
	return tag.RowsAffected() == 1, nil
}
