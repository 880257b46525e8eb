package sqlstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// issuers lists the columns of a trusted issuer.
var issuers = newTable("trusted_issuers", 1, func(_ *dialect, i *store.TrustedIssuer) []field {
	return []field{
		{"issuer", &i.Issuer},
		{"jwks_url", &i.JWKSURL},
		{"audience", &i.Audience},
		{"created_at", (*nanos)(&i.CreatedAt)},
	}
})

var (
	qDeleteIssuer = newQuery(`DELETE FROM trusted_issuers WHERE issuer = ?`)
	// qUseOnce inserts a one-time value, or takes over the record of one
	// that expired and was not cleaned up yet.
	qUseOnce = newQuery(`INSERT INTO used_once (key, expires_at) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE used_once.expires_at < ?`)
	qDeleteUsedOnce = newQuery(`DELETE FROM used_once WHERE key IN (
	SELECT key FROM used_once WHERE expires_at < ? LIMIT ? {for update skip locked})`)
	qCreateSecret = newQuery(`INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`)
	qGetSecret    = newReadQuery(`SELECT value FROM server_secrets WHERE name = ?`)
)

// CreateTrustedIssuer adds i; store.ErrAlreadyExists if its URL is there.
func (s *Store) CreateTrustedIssuer(ctx context.Context, i store.TrustedIssuer) error {
	if i.Issuer == "" {
		return s.errs.Prefix("create trusted issuer", errors.New("empty issuer"))
	}
	_, err := s.exec(ctx, issuers.insert, issuers.ptrs(s.d, &i)...)
	return s.wrap("create trusted issuer", err)
}

// GetTrustedIssuer returns the trusted issuer with that URL.
func (s *Store) GetTrustedIssuer(ctx context.Context, issuer string) (store.TrustedIssuer, error) {
	return get(ctx, s, issuers, "get trusted issuer", issuer)
}

// ListTrustedIssuers returns every trusted issuer ordered by URL, bytewise.
func (s *Store) ListTrustedIssuers(ctx context.Context) ([]store.TrustedIssuer, error) {
	is, err := all(ctx, s, issuers, "list trusted issuers")
	slices.SortFunc(is, func(a, b store.TrustedIssuer) int { return strings.Compare(a.Issuer, b.Issuer) })
	return is, err
}

// DeleteTrustedIssuer removes a trusted issuer; store.ErrNotFound if there
// is none.
func (s *Store) DeleteTrustedIssuer(ctx context.Context, issuer string) error {
	n, err := s.exec(ctx, qDeleteIssuer, issuer)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return s.wrap("delete trusted issuer", err)
}

// UseOnce records the one-time value key until expiresAt; true for the
// first caller only, in any process, until the record expires (by now).
func (s *Store) UseOnce(ctx context.Context, key string, now, expiresAt time.Time) (bool, error) {
	if key == "" || expiresAt.IsZero() || now.IsZero() {
		return false, s.errs.Prefix("use once", errors.New("empty key or time"))
	}
	n, err := s.exec(ctx, qUseOnce, key, (*nanos)(&expiresAt), (*nanos)(&now))
	if err != nil {
		return false, s.wrap("use once", err)
	}
	return n == 1, nil
}

// Secret returns the shared secret name, storing value the first time.
func (s *Store) Secret(ctx context.Context, name string, value []byte) ([]byte, error) {
	if name == "" || len(value) == 0 {
		return nil, s.errs.Prefix("secret", errors.New("empty name or value"))
	}
	now := s.now()
	if _, err := s.exec(ctx, qCreateSecret, name, value, (*nanos)(&now)); err != nil {
		return nil, s.wrap("secret", err)
	}
	var got []byte
	err := s.retryRead(ctx, func() error { return s.queryRow(ctx, qGetSecret, name).Scan(&got) })
	if err != nil {
		return nil, s.wrap("secret", err)
	}
	return got, nil
}
