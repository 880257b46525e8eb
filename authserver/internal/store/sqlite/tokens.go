package sqlite

import (
	"context"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// RevokeAccessToken records that the token jti is revoked until expiresAt,
// which is required. Revoking it again keeps the later expiry.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	if err := sqlcodec.CheckRevocation(jti, expiresAt); err != nil {
		return errs.Prefix("revoke access token", err)
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?)
ON CONFLICT (jti) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)`,
		jti, encTime(expiresAt))
	return wrap("revoke access token", err)
}

// AccessTokenRevoked reports whether the token jti has a revocation record.
func (s *Store) AccessTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var n int
	err := s.stmts.accessTokenRevoked.QueryRowContext(ctx, jti).Scan(&n)
	if err != nil {
		return false, wrap("access token revoked", err)
	}
	return n > 0, nil
}
