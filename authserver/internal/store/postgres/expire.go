package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// deleteBatch is how many families, or revocation records, one transaction
// of DeleteExpired removes at most, so that no transaction holds locks for
// long.
const deleteBatch = 500

// DeleteExpired removes the refresh families whose absolute expiry is before
// now, with all their tokens, and the access-token revocation records whose
// token expired before now. It works in batches of short transactions until
// nothing expired is left, and returns how many rows it removed (tokens,
// families and revocation records). Tokens of live families are kept even
// past their own expiry, so that replaying one is still detected as reuse.
//
// Every replica may run it at the same time: each batch locks the rows it
// picks with FOR UPDATE SKIP LOCKED, so concurrent cleaners take disjoint
// batches instead of waiting for one another, and a family being rotated
// (whose row the rotation locks) is left for a later run.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return 0, errs.Prefix("delete expired", err)
	}
	return s.deleteExpired(ctx, now, deleteBatch)
}

func (s *Store) deleteExpired(ctx context.Context, now time.Time, batch int) (int, error) {
	cutoff := encTime(now)
	total := 0
	steps := []struct {
		what string
		run  func() (families, removed int, err error)
	}{
		{"refresh families", func() (int, int, error) {
			var families, removed int
			err := s.inTx(ctx, func(tx pgx.Tx) error {
				rows, err := tx.Query(ctx, `SELECT id FROM refresh_families WHERE expires_at < $1
ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`, cutoff, batch)
				if err != nil {
					return err
				}
				ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
				if err != nil {
					return err
				}
				families, removed = len(ids), 0
				if len(ids) == 0 {
					return nil
				}
				// Tokens first, so that they are counted; the families'
				// locks keep new tokens out until the families are gone.
				tag, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE family_id = ANY ($1)`, ids)
				if err != nil {
					return err
				}
				removed += int(tag.RowsAffected())
				tag, err = tx.Exec(ctx, `DELETE FROM refresh_families WHERE id = ANY ($1)`, ids)
				if err != nil {
					return err
				}
				removed += int(tag.RowsAffected())
				return nil
			})
			return families, removed, err
		}},
		{"revoked access tokens", func() (int, int, error) {
			tag, err := s.exec(ctx, `DELETE FROM revoked_access_tokens WHERE jti IN (
	SELECT jti FROM revoked_access_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, cutoff, batch)
			n := int(tag.RowsAffected())
			return n, n, err
		}},
	}
	for _, st := range steps {
		for {
			if err := ctx.Err(); err != nil {
				return total, fmt.Errorf("postgres: delete expired %s: %w", st.what, err)
			}
			picked, removed, err := st.run()
			if err != nil {
				return total, wrap("delete expired "+st.what, err)
			}
			total += removed
			if picked < batch {
				break
			}
		}
	}
	return total, nil
}
