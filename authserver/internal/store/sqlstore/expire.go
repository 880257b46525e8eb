package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// deleteBatch is how many families, or revocation records, one transaction
// of DeleteExpired removes at most, so that no transaction holds locks for
// long.
const deleteBatch = 500

var (
	// qExpiredFamilies picks, and on PostgreSQL locks, a batch of expired
	// families, skipping those that another transaction holds: concurrent
	// cleaners take disjoint batches instead of waiting for one another,
	// and a family being rotated is left for a later run.
	qExpiredFamilies = newQuery(`SELECT id FROM refresh_families WHERE expires_at < ?
ORDER BY expires_at LIMIT ? {for update skip locked}`)
	qDeleteFamiliesTokens = newQuery(`DELETE FROM refresh_tokens WHERE family_id {in list}`)
	qDeleteFamilies       = newQuery(`DELETE FROM refresh_families WHERE id {in list}`)
	qDeleteRevocations    = newQuery(`DELETE FROM revoked_access_tokens WHERE jti IN (
	SELECT jti FROM revoked_access_tokens WHERE expires_at < ? LIMIT ? {for update skip locked})`)
	qDeleteCodes = newQuery(`DELETE FROM auth_codes WHERE id IN (
	SELECT id FROM auth_codes WHERE expires_at < ? LIMIT ? {for update skip locked})`)
	qDeleteSessions = newQuery(`DELETE FROM sessions WHERE id IN (
	SELECT id FROM sessions WHERE expires_at < ? LIMIT ? {for update skip locked})`)
)

// codeRetention is how long an authorization code is kept past its
// expiry, so that a second use is still recognised as one, and revokes
// the grant of the first.
const codeRetention = time.Hour

// DeleteExpired removes the refresh families whose absolute expiry is before
// now, with all their tokens, and the access-token revocation records whose
// token expired before now. It works in batches of short transactions until
// nothing expired is left, and returns how many rows it removed (tokens,
// families and revocation records). Tokens of live families are kept even
// past their own expiry, so that replaying one is still detected as reuse.
//
// Every process sharing the database may run it at the same time: on
// PostgreSQL each batch locks the rows it picks with FOR UPDATE SKIP
// LOCKED; on SQLite each batch holds the write lock.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return 0, s.errs.Prefix("delete expired", err)
	}
	return s.deleteExpired(ctx, now, deleteBatch)
}

func (s *Store) deleteExpired(ctx context.Context, now time.Time, batch int) (int, error) {
	cutoff := (*nanos)(&now)
	total := 0
	steps := []struct {
		what string
		run  func() (picked, removed int, err error)
	}{
		{"refresh families", func() (int, int, error) {
			var picked, removed int
			err := s.inTx(ctx, func(tx tx) error {
				ids, err := s.expiredFamilies(tx, cutoff, batch)
				picked, removed = len(ids), 0
				if err != nil || len(ids) == 0 {
					return err
				}
				// Tokens first, so that they are counted; the families'
				// locks keep new tokens out until the families are gone.
				for _, q := range []query{qDeleteFamiliesTokens, qDeleteFamilies} {
					n, err := tx.exec(q, s.d.list(&ids))
					if err != nil {
						return err
					}
					removed += int(n)
				}
				return nil
			})
			return picked, removed, err
		}},
		{"revoked access tokens", func() (int, int, error) {
			n, err := s.exec(ctx, qDeleteRevocations, cutoff, batch)
			return int(n), int(n), err
		}},
		{"authorization codes", func() (int, int, error) {
			codeCutoff := now.Add(-codeRetention)
			n, err := s.exec(ctx, qDeleteCodes, (*nanos)(&codeCutoff), batch)
			return int(n), int(n), err
		}},
		{"browser sessions", func() (int, int, error) {
			n, err := s.exec(ctx, qDeleteSessions, cutoff, batch)
			return int(n), int(n), err
		}},
		{"used one-time values", func() (int, int, error) {
			n, err := s.exec(ctx, qDeleteUsedOnce, cutoff, batch)
			return int(n), int(n), err
		}},
		{"failure records", func() (int, int, error) {
			n, err := s.exec(ctx, qExpireFailures, cutoff, batch)
			return int(n), int(n), err
		}},
	}
	for _, st := range steps {
		for {
			if err := ctx.Err(); err != nil {
				return total, fmt.Errorf("%s: delete expired %s: %w", s.d.name, st.what, err)
			}
			picked, removed, err := st.run()
			if err != nil {
				return total, s.wrap("delete expired "+st.what, err)
			}
			total += removed
			if picked < batch {
				break
			}
		}
	}
	return total, nil
}

// expiredFamilies returns the IDs of at most batch families that expired
// before cutoff.
func (s *Store) expiredFamilies(tx tx, cutoff *nanos, batch int) ([]string, error) {
	rows, err := tx.query(qExpiredFamilies, cutoff, batch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
