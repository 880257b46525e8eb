package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

const (
	familyColumns = `id, client_id, subject, created_at, expires_at, revoked_at`
	tokenColumns  = `id, family_id, client_id, subject, scopes, audience, created_at, expires_at, used_at`
)

func scanFamily(r rowScanner) (store.RefreshFamily, error) {
	var (
		f                               store.RefreshFamily
		createdAt, expiresAt, revokedAt sql.NullInt64
	)
	if err := r.Scan(&f.ID, &f.ClientID, &f.Subject, &createdAt, &expiresAt, &revokedAt); err != nil {
		return store.RefreshFamily{}, err
	}
	f.CreatedAt, f.ExpiresAt, f.RevokedAt = decTime(createdAt), decTime(expiresAt), decTime(revokedAt)
	return f, nil
}

func insertToken(ctx context.Context, tx *sql.Tx, t store.RefreshToken) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO refresh_families (`+familyColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
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
WHERE t.id = ?`

// GetRefreshToken returns the token with that ID and its family.
func (s *Store) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, store.RefreshFamily, error) {
	var (
		t                            store.RefreshToken
		f                            store.RefreshFamily
		scopes, audience             string
		tCreated, tExpires, tUsed    sql.NullInt64
		fCreated, fExpires, fRevoked sql.NullInt64
	)
	err := s.stmts.getRefreshToken.QueryRowContext(ctx, id).Scan(
		&t.ID, &t.FamilyID, &t.ClientID, &t.Subject, &scopes, &audience, &tCreated, &tExpires, &tUsed,
		&f.ID, &f.ClientID, &f.Subject, &fCreated, &fExpires, &fRevoked)
	if err == nil {
		t.Scopes, err = decList(scopes)
	}
	if err == nil {
		t.Audience, err = decList(audience)
	}
	if err != nil {
		return store.RefreshToken{}, store.RefreshFamily{}, wrap("get refresh token", err)
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt = decTime(tCreated), decTime(tExpires), decTime(tUsed)
	f.CreatedAt, f.ExpiresAt, f.RevokedAt = decTime(fCreated), decTime(fExpires), decTime(fRevoked)
	return t, f, nil
}

// RotateRefreshToken marks token oldID used at now and adds next to its
// family, in one write transaction. An empty FamilyID, ClientID or Subject
// of next is taken from the family, a different one is an error, and next
// expires no later than the family.
//
// If oldID was already used or its family is revoked, the family is revoked
// at now (unless it already was) and that revocation is committed before
// store.ErrTokenReused is returned. store.ErrNotFound if there is no token
// oldID. On any error, next is not stored.
func (s *Store) RotateRefreshToken(ctx context.Context, oldID string, now time.Time, next store.RefreshToken) error {
	if err := sqlcodec.CheckRotation(now, next); err != nil {
		return errs.Prefix("rotate refresh token", err)
	}
	reused, familyID := false, ""
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE refresh_tokens SET used_at = ?
WHERE id = ? AND used_at IS NULL
	AND EXISTS (SELECT 1 FROM refresh_families f WHERE f.id = refresh_tokens.family_id AND f.revoked_at IS NULL)
RETURNING family_id`, encTime(now), oldID).Scan(&familyID)
		if errors.Is(err, sql.ErrNoRows) {
			// Unknown, already used, or in a revoked family.
			if err := tx.QueryRowContext(ctx, `SELECT family_id FROM refresh_tokens WHERE id = ?`, oldID).Scan(&familyID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
				encTime(now), familyID); err != nil {
				return err
			}
			reused = true
			return nil
		}
		if err != nil {
			return err
		}
		f, err := scanFamily(tx.QueryRowContext(ctx, `SELECT `+familyColumns+` FROM refresh_families WHERE id = ?`, familyID))
		if err != nil {
			return err
		}
		if err := sqlcodec.FillToken(&next, f); err != nil {
			return err
		}
		return insertToken(ctx, tx, next)
	})
	if err != nil {
		return wrap("rotate refresh token", err)
	}
	if reused {
		s.log.WarnContext(ctx, "refresh token reused; revoked its family", "family", familyID)
		return fmt.Errorf("sqlite: rotate refresh token: %w", store.ErrTokenReused)
	}
	return nil
}

// GetRefreshFamily returns a family by ID.
func (s *Store) GetRefreshFamily(ctx context.Context, id string) (store.RefreshFamily, error) {
	f, err := scanFamily(s.stmts.getFamily.QueryRowContext(ctx, id))
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
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
			encTime(now), id)
		if err != nil {
			return err
		}
		if mustAffect(res) == nil {
			return nil
		}
		var one int
		return tx.QueryRowContext(ctx, `SELECT 1 FROM refresh_families WHERE id = ?`, id).Scan(&one)
	})
	return wrap("revoke refresh family", err)
}

// RevokeUserRefreshFamilies revokes, at now, every family whose subject is
// username and that is not revoked yet.
func (s *Store) RevokeUserRefreshFamilies(ctx context.Context, username string, now time.Time) error {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return errs.Prefix("revoke user refresh families", err)
	}
	_, err := s.write.ExecContext(ctx, `UPDATE refresh_families SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL`,
		encTime(now), username)
	return wrap("revoke user refresh families", err)
}
