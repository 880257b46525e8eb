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
	// qRevokedFamilies picks revoked families as qExpiredFamilies picks
	// expired ones.
	qRevokedFamilies = newQuery(`SELECT id FROM refresh_families WHERE revoked_at < ?
ORDER BY revoked_at LIMIT ? {for update skip locked}`)
	// qDeleteUsedTokens deletes rotated tokens past their own expiry: the
	// refresh grant refuses an expired token before it looks at whether
	// it was used, so such a token can no longer reveal a reuse.
	qDeleteUsedTokens = newQuery(`DELETE FROM refresh_tokens WHERE id IN (
	SELECT id FROM refresh_tokens WHERE used_at IS NOT NULL AND expires_at < ? LIMIT ? {for update skip locked})`)
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

// grantRetention is how long a revoked refresh family, and a rotated
// refresh token past its expiry, are kept before they are deleted: long
// enough to look at in an investigation, short enough that revoked and
// rotated grants do not pile up. Deleting them changes no answer: a token
// of a family that is gone, or a used token that expired, is refused as
// invalid_grant and introspects as inactive either way.
const grantRetention = time.Hour

// DeleteExpired removes the refresh families whose absolute expiry is before
// now, and those revoked more than grantRetention before now, with all
// their tokens; the rotated tokens that expired more than grantRetention
// before now; and the access-token revocation records whose token expired
// before now. It works in batches of short transactions until nothing
// expired is left, and returns how many rows it removed (tokens, families
// and revocation records). Unused tokens of live families are kept past
// their own expiry (their family's current token, refused when presented).
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
	retained := now.Add(-grantRetention)
	total := 0
	steps := []struct {
		what string
		run  func() (picked, removed int, err error)
	}{
		{"refresh families", func() (int, int, error) {
			return s.deleteFamilies(ctx, qExpiredFamilies, cutoff, batch)
		}},
		{"revoked refresh families", func() (int, int, error) {
			return s.deleteFamilies(ctx, qRevokedFamilies, (*nanos)(&retained), batch)
		}},
		{"rotated refresh tokens", func() (int, int, error) {
			n, err := s.exec(ctx, qDeleteUsedTokens, (*nanos)(&retained), batch)
			return int(n), int(n), err
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

// deleteFamilies deletes, in one transaction, the families (at most
// batch) that pick, a query with the parameters cutoff and batch, selects
// and locks, with their tokens. It returns how many families it picked and
// how many rows it removed.
func (s *Store) deleteFamilies(ctx context.Context, pick query, cutoff *nanos, batch int) (picked, removed int, err error) {
	err = s.inTx(ctx, func(tx tx) error {
		ids, err := s.pickFamilies(tx, pick, cutoff, batch)
		picked, removed = len(ids), 0
		if err != nil || len(ids) == 0 {
			return err
		}
		// Tokens first, so that they are counted; the families' locks
		// keep new tokens out until the families are gone.
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
}

// pickFamilies returns the IDs of the families (at most batch) that pick
// selects.
func (s *Store) pickFamilies(tx tx, pick query, cutoff *nanos, batch int) ([]string, error) {
	rows, err := tx.query(pick, cutoff, batch)
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
