package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

const (
	familyColumns = `id, client_id, subject, created_at, expires_at, revoked_at`
	tokenColumns  = `id, family_id, client_id, subject, scopes, audience, created_at, expires_at, used_at`
)

func scanFamily(r pgx.Row) (store.RefreshFamily, error) {
	var (
		f                               store.RefreshFamily
		createdAt, expiresAt, revokedAt pgtype.Int8
	)
	if err := r.Scan(&f.ID, &f.ClientID, &f.Subject, &createdAt, &expiresAt, &revokedAt); err != nil {
		return store.RefreshFamily{}, err
	}
	f.CreatedAt, f.ExpiresAt, f.RevokedAt = decTime(createdAt), decTime(expiresAt), decTime(revokedAt)
	return f, nil
}

func insertToken(ctx context.Context, tx pgx.Tx, t store.RefreshToken) error {
	_, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.ID, t.FamilyID, t.ClientID, t.Subject, encList(t.Scopes), encList(t.Audience),
		encTime(t.CreatedAt), encTime(t.ExpiresAt), encTime(t.UsedAt))
	return err
}

// CreateRefreshToken starts family f with its first token t. An empty
// FamilyID, ClientID or Subject of t is taken from f, a different one is an
// error, and t expires no later than f. store.ErrAlreadyExists if the family
// or the token ID exists.
func (s *Store) CreateRefreshToken(ctx context.Context, f store.RefreshFamily, t store.RefreshToken) error {
	if err := sqlcodec.CheckRefreshToken(f, &t); err != nil {
		return errs.Prefix("create refresh token", err)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO refresh_families (`+familyColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			f.ID, f.ClientID, f.Subject, encTime(f.CreatedAt), encTime(f.ExpiresAt), encTime(f.RevokedAt))
		if err != nil {
			return err
		}
		return insertToken(ctx, tx, t)
	})
	return wrap("create refresh token", err)
}

// getRefreshTokenQuery selects a token and its family.
const getRefreshTokenQuery = `SELECT
	t.id, t.family_id, t.client_id, t.subject, t.scopes, t.audience, t.created_at, t.expires_at, t.used_at,
	f.id, f.client_id, f.subject, f.created_at, f.expires_at, f.revoked_at
FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
WHERE t.id = $1`

// GetRefreshToken returns the token with that ID and its family.
func (s *Store) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, store.RefreshFamily, error) {
	var (
		t store.RefreshToken
		f store.RefreshFamily
	)
	err := s.read(ctx, func() error {
		var tCreated, tExpires, tUsed, fCreated, fExpires, fRevoked pgtype.Int8
		t, f = store.RefreshToken{}, store.RefreshFamily{}
		if err := s.pool.QueryRow(ctx, getRefreshTokenQuery, id).Scan(
			&t.ID, &t.FamilyID, &t.ClientID, &t.Subject, &t.Scopes, &t.Audience, &tCreated, &tExpires, &tUsed,
			&f.ID, &f.ClientID, &f.Subject, &fCreated, &fExpires, &fRevoked); err != nil {
			return err
		}
		t.Scopes, t.Audience = sqlcodec.List(t.Scopes), sqlcodec.List(t.Audience)
		t.CreatedAt, t.ExpiresAt, t.UsedAt = decTime(tCreated), decTime(tExpires), decTime(tUsed)
		f.CreatedAt, f.ExpiresAt, f.RevokedAt = decTime(fCreated), decTime(fExpires), decTime(fRevoked)
		return nil
	})
	if err != nil {
		return store.RefreshToken{}, store.RefreshFamily{}, wrap("get refresh token", err)
	}
	return t, f, nil
}

// RotateRefreshToken marks token oldID used at now and adds next to its
// family, in one transaction that holds the family's row lock, so that
// rotations in one family, on any number of replicas, run one at a time.
// The token is marked used by a conditional UPDATE (used_at IS NULL), so of
// concurrent rotations of one token at most one succeeds. An empty FamilyID,
// ClientID or Subject of next is taken from the family, a different one is
// an error, and next expires no later than the family.
//
// If oldID was already used or its family is revoked, the family is revoked
// at now (unless it already was) and that revocation is committed before
// store.ErrTokenReused is returned. store.ErrNotFound if there is no token
// oldID. On any error, next is not stored.
func (s *Store) RotateRefreshToken(ctx context.Context, oldID string, now time.Time, next store.RefreshToken) error {
	if err := sqlcodec.CheckRotation(now, next); err != nil {
		return errs.Prefix("rotate refresh token", err)
	}
	var (
		reused   bool
		familyID string
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		reused = false
		if err := tx.QueryRow(ctx, `SELECT family_id FROM refresh_tokens WHERE id = $1`, oldID).Scan(&familyID); err != nil {
			return err
		}
		f, err := scanFamily(tx.QueryRow(ctx, `SELECT `+familyColumns+` FROM refresh_families WHERE id = $1 FOR UPDATE`, familyID))
		if err != nil {
			// The family expired and was deleted since the first read.
			return err
		}
		if !f.Revoked() {
			tag, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL`,
				encTime(now), oldID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				n := next
				if err := sqlcodec.FillToken(&n, f); err != nil {
					return err
				}
				return insertToken(ctx, tx, n)
			}
		}
		// Already used, or in a revoked family.
		if _, err := tx.Exec(ctx, `UPDATE refresh_families SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
			encTime(now), familyID); err != nil {
			return err
		}
		reused = true
		return nil
	})
	if err != nil {
		return wrap("rotate refresh token", err)
	}
	if reused {
		s.log.WarnContext(ctx, "refresh token reused; revoked its family", "family", familyID)
		return fmt.Errorf("postgres: rotate refresh token: %w", store.ErrTokenReused)
	}
	return nil
}

// GetRefreshFamily returns a family by ID.
func (s *Store) GetRefreshFamily(ctx context.Context, id string) (store.RefreshFamily, error) {
	var f store.RefreshFamily
	err := s.read(ctx, func() error {
		var err error
		f, err = scanFamily(s.pool.QueryRow(ctx, `SELECT `+familyColumns+` FROM refresh_families WHERE id = $1`, id))
		return err
	})
	if err != nil {
		return store.RefreshFamily{}, wrap("get refresh family", err)
	}
	return f, nil
}

// RevokeRefreshFamily revokes a family at now. A family that is already
// revoked keeps its first revocation time.
func (s *Store) RevokeRefreshFamily(ctx context.Context, id string, now time.Time) error {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return errs.Prefix("revoke refresh family", err)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE refresh_families SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
			encTime(now), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		var one int
		return tx.QueryRow(ctx, `SELECT 1 FROM refresh_families WHERE id = $1`, id).Scan(&one)
	})
	return wrap("revoke refresh family", err)
}

// RevokeUserRefreshFamilies revokes, at now, every family whose subject is
// username and that is not revoked yet.
func (s *Store) RevokeUserRefreshFamilies(ctx context.Context, username string, now time.Time) error {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return errs.Prefix("revoke user refresh families", err)
	}
	_, err := s.exec(ctx, `UPDATE refresh_families SET revoked_at = $1 WHERE subject = $2 AND revoked_at IS NULL`,
		encTime(now), username)
	return wrap("revoke user refresh families", err)
}
