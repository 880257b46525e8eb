package sqlstore

import (
	"context"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

var (
	// qRevokeAccessToken keeps the later expiry of two revocations.
	qRevokeAccessToken = newQuery(`INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?)
ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at
WHERE excluded.expires_at > revoked_access_tokens.expires_at`)
	qAccessTokenRevoked = newReadQuery(`SELECT COUNT(*) FROM revoked_access_tokens WHERE jti = ?`)
)

// RevokeAccessToken records that the token jti is revoked until expiresAt,
// which is required. Revoking it again keeps the later expiry.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	if err := sqlcodec.CheckRevocation(jti, expiresAt); err != nil {
		return s.errs.Prefix("revoke access token", err)
	}
	_, err := s.exec(ctx, qRevokeAccessToken, jti, (*nanos)(&expiresAt))
	return s.wrap("revoke access token", err)
}

// AccessTokenRevoked reports whether the token jti has a revocation record.
func (s *Store) AccessTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var n int64
	err := s.retryRead(ctx, func() error { return s.queryRow(ctx, qAccessTokenRevoked, jti).Scan(&n) })
	if err != nil {
		return false, s.wrap("access token revoked", err)
	}
	return n > 0, nil
}
