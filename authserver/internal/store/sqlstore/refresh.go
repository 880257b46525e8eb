package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// families lists the columns of a refresh family.
var families = newTable("refresh_families", 1, func(_ *dialect, f *store.RefreshFamily) []field {
	return []field{
		{"id", &f.ID},
		{"client_id", &f.ClientID},
		{"subject", &f.Subject},
		{"created_at", (*nanos)(&f.CreatedAt)},
		{"expires_at", (*nanos)(&f.ExpiresAt)},
		{"revoked_at", (*nanos)(&f.RevokedAt)},
	}
})

// tokens lists the columns of a refresh token.
var tokens = newTable("refresh_tokens", 1, func(d *dialect, t *store.RefreshToken) []field {
	return []field{
		{"id", &t.ID},
		{"family_id", &t.FamilyID},
		{"client_id", &t.ClientID},
		{"subject", &t.Subject},
		{"scopes", d.list(&t.Scopes)},
		{"audience", d.list(&t.Audience)},
		{"created_at", (*nanos)(&t.CreatedAt)},
		{"expires_at", (*nanos)(&t.ExpiresAt)},
		{"used_at", (*nanos)(&t.UsedAt)},
		{"jkt", &t.JKT},
	}
})

var (
	// qGetRefreshToken selects a token and its family.
	qGetRefreshToken = newReadQuery(`SELECT ` + tokens.columns("t.") + `, ` + families.columns("f.") + `
FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
WHERE t.id = ?`)
	// qLockRotation selects, and locks, the family of a token being
	// rotated, when the token was used and what it was rotated into.
	qLockRotation = newQuery(`SELECT ` + families.columns("f.") + `, t.used_at, t.successor_id
FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
WHERE t.id = ? {for update}`)
	// qLockSuccessor selects, and locks, when a successor was used.
	qLockSuccessor = newQuery(`SELECT used_at FROM refresh_tokens WHERE id = ? {for update}`)
	qUseToken      = newQuery(`UPDATE refresh_tokens SET used_at = ?, successor_id = ? WHERE id = ? AND used_at IS NULL`)
	qRevokeFamily  = newQuery(`UPDATE refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`)
)

// CreateRefreshToken starts family f with its first token t. An empty
// FamilyID, ClientID or Subject of t is taken from f, a different one is an
// error, and t expires no later than f. store.ErrAlreadyExists if the family
// or the token ID exists.
func (s *Store) CreateRefreshToken(ctx context.Context, f store.RefreshFamily, t store.RefreshToken) error {
	if err := sqlcodec.CheckRefreshToken(f, &t); err != nil {
		return s.errs.Prefix("create refresh token", err)
	}
	err := s.inTx(ctx, func(tx tx) error {
		if _, err := tx.exec(families.insert, families.ptrs(s.d, &f)...); err != nil {
			return err
		}
		_, err := tx.exec(tokens.insert, tokens.ptrs(s.d, &t)...)
		return err
	})
	return s.wrap("create refresh token", err)
}

// GetRefreshToken returns the token with that ID and its family.
func (s *Store) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, store.RefreshFamily, error) {
	var (
		t store.RefreshToken
		f store.RefreshFamily
	)
	err := s.retryRead(ctx, func() error {
		t, f = store.RefreshToken{}, store.RefreshFamily{}
		ptrs := make([]any, 0, len(tokens.cols)+len(families.cols))
		ptrs = families.appendPtrs(tokens.appendPtrs(ptrs, s.d, &t), s.d, &f)
		return s.queryRow(ctx, qGetRefreshToken, id).Scan(ptrs...)
	})
	if err != nil {
		return store.RefreshToken{}, store.RefreshFamily{}, s.wrap("get refresh token", err)
	}
	return t, f, nil
}

// RotateRefreshToken marks token oldID used at now, records next as its
// successor and adds next to its family, in one transaction that locks the
// family (SQLite's write lock, PostgreSQL's row locks on the token and its
// family), so that rotations in one family, in any number of processes, run
// one at a time. The token is marked used by a conditional UPDATE (used_at
// IS NULL) as well, so of concurrent rotations of one token at most one
// succeeds whatever the isolation. An empty FamilyID, ClientID or Subject of
// next is taken from the family, a different one is an error, and next
// expires no later than the family.
//
// A used token whose recorded successor is next, used less than grace
// before now, with that successor unused and the family live, is a retry:
// nothing changes and retried is true. Any other use of a used token, or of
// a token of a revoked family, revokes the family at now (unless it already
// was), commits that, and returns store.ErrTokenReused. store.ErrNotFound if
// there is no token oldID. On any error, next is not stored.
func (s *Store) RotateRefreshToken(ctx context.Context, oldID string, now time.Time, next store.RefreshToken, grace time.Duration) (bool, error) {
	if err := sqlcodec.CheckRotation(now, next); err != nil {
		return false, s.errs.Prefix("rotate refresh token", err)
	}
	var (
		reused, retried bool
		f               store.RefreshFamily
	)
	err := s.inTx(ctx, func(tx tx) error {
		reused, retried, f = false, false, store.RefreshFamily{}
		var (
			used      time.Time
			successor sql.NullString
		)
		if err := tx.queryRow(qLockRotation, oldID).Scan(append(families.ptrs(s.d, &f), (*nanos)(&used), &successor)...); err != nil {
			return err
		}
		switch {
		case f.Revoked():
		case used.IsZero():
			n, err := tx.exec(qUseToken, (*nanos)(&now), next.ID, oldID)
			if err != nil {
				return err
			}
			if mustAffect(n) == nil {
				t := next
				if err := sqlcodec.FillToken(&t, f); err != nil {
					return err
				}
				_, err := tx.exec(tokens.insert, tokens.ptrs(s.d, &t)...)
				return err
			}
		case successor.Valid && successor.String == next.ID && now.Before(used.Add(grace)):
			var succUsed time.Time
			if err := tx.queryRow(qLockSuccessor, next.ID).Scan((*nanos)(&succUsed)); err != nil {
				return err
			}
			if succUsed.IsZero() {
				retried = true
				return nil
			}
		}
		// Already used (and not retried), or in a revoked family.
		if _, err := tx.exec(qRevokeFamily, (*nanos)(&now), f.ID); err != nil {
			return err
		}
		reused = true
		return nil
	})
	if err != nil {
		return false, s.wrap("rotate refresh token", err)
	}
	if reused {
		s.log.WarnContext(ctx, "refresh token reused; revoked its family", "family", f.ID)
		return false, s.errs.Prefix("rotate refresh token", store.ErrTokenReused)
	}
	if retried {
		s.log.InfoContext(ctx, "refresh token presented again within the grace window; same successor", "family", f.ID)
	}
	return retried, nil
}

// GetRefreshFamily returns a family by ID.
func (s *Store) GetRefreshFamily(ctx context.Context, id string) (store.RefreshFamily, error) {
	return get(ctx, s, families, "get refresh family", id)
}

// RevokeRefreshFamily revokes a family at now. A family that is already
// revoked keeps its first revocation time. The revocation is one statement
// on its own, one round trip with no transaction around it; only when it
// changed nothing is the family read, to tell an unknown family
// (store.ErrNotFound) from one revoked already: a family is never
// unrevoked, so nothing between the two can make the answer wrong.
func (s *Store) RevokeRefreshFamily(ctx context.Context, id string, now time.Time) error {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return s.errs.Prefix("revoke refresh family", err)
	}
	n, err := s.exec(ctx, qRevokeFamily, (*nanos)(&now), id)
	if err == nil && mustAffect(n) != nil {
		_, err = get(ctx, s, families, "revoke refresh family", id)
		return err
	}
	return s.wrap("revoke refresh family", err)
}

// RevokeUserRefreshFamilies revokes, at now, every family whose subject is
// username and that is not revoked yet.
func (s *Store) RevokeUserRefreshFamilies(ctx context.Context, username string, now time.Time) error {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return s.errs.Prefix("revoke user refresh families", err)
	}
	_, err := s.exec(ctx, qRevokeSubject, (*nanos)(&now), username)
	return s.wrap("revoke user refresh families", err)
}
