package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// deleteBatch is how many rows one transaction of DeleteExpired removes at
// most, so that it never holds the write lock for long.
const deleteBatch = 500

// DeleteExpired removes the refresh families whose absolute expiry is before
// now, with all their tokens, and the access-token revocation records whose
// token expired before now. It works in batches of short transactions until
// nothing expired is left, and returns how many rows it removed (tokens,
// families and revocation records). Tokens of live families are kept even
// past their own expiry, so that replaying one is still detected as reuse.
func (s *Store) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return 0, errs.Prefix("delete expired", err)
	}
	return s.deleteExpired(ctx, now, deleteBatch)
}

func (s *Store) deleteExpired(ctx context.Context, now time.Time, batch int) (int, error) {
	steps := []struct {
		what  string
		query string
	}{
		{"refresh tokens", `DELETE FROM refresh_tokens WHERE rowid IN (
	SELECT t.rowid FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
	WHERE f.expires_at < ? LIMIT ?)`},
		{"refresh families", `DELETE FROM refresh_families WHERE rowid IN (
	SELECT rowid FROM refresh_families WHERE expires_at < ? LIMIT ?)`},
		{"revoked access tokens", `DELETE FROM revoked_access_tokens WHERE rowid IN (
	SELECT rowid FROM revoked_access_tokens WHERE expires_at < ? LIMIT ?)`},
	}
	total := 0
	cutoff := encTime(now)
	for _, st := range steps {
		for {
			if err := ctx.Err(); err != nil {
				return total, fmt.Errorf("sqlite: delete expired %s: %w", st.what, err)
			}
			res, err := s.write.ExecContext(ctx, st.query, cutoff, batch)
			if err != nil {
				return total, wrap("delete expired "+st.what, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return total, wrap("delete expired "+st.what, err)
			}
			total += int(n)
			if n < int64(batch) {
				break
			}
		}
	}
	return total, nil
}
