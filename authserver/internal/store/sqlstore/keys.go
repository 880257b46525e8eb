package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// signingKeys lists the columns of a signing key.
var signingKeys = newTable("signing_keys", 1, func(_ *dialect, k *store.SigningKey) []field {
	return []field{
		{"id", &k.ID},
		{"algorithm", &k.Algorithm},
		{"private_key", (*blob)(&k.PrivateKey)},
		{"created_at", (*nanos)(&k.CreatedAt)},
		{"activates_at", (*nanos)(&k.ActivatesAt)},
		{"revoked_at", (*nanos)(&k.RevokedAt)},
	}
})

var (
	qDeleteSigningKey = newQuery(`DELETE FROM signing_keys WHERE id = ?`)
	qRevokeSigningKey = newQuery(`UPDATE signing_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`)
)

// CreateSigningKey adds a key; store.ErrAlreadyExists for a duplicate ID.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	if err := sqlcodec.CheckSigningKey(k); err != nil {
		return s.errs.Prefix("create signing key", err)
	}
	_, err := s.exec(ctx, signingKeys.insert, signingKeys.ptrs(s.d, &k)...)
	return s.wrap("create signing key", err)
}

// ListSigningKeys returns every key ordered by ActivatesAt, the zero time
// first, then ID (bytewise).
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	ks, err := all(ctx, s, signingKeys, "list signing keys")
	slices.SortFunc(ks, func(a, b store.SigningKey) int {
		if c := a.ActivatesAt.Compare(b.ActivatesAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ks, err
}

// DeleteSigningKey removes a key; store.ErrNotFound if there is none with
// that ID.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	res, err := s.exec(ctx, qDeleteSigningKey, id)
	if err == nil {
		err = mustAffect(res)
	}
	return s.wrap("delete signing key", err)
}

// GetSigningKey returns the key with that ID, revoked or not.
func (s *Store) GetSigningKey(ctx context.Context, id string) (store.SigningKey, error) {
	return get(ctx, s, signingKeys, "get signing key", id)
}

// RevokeSigningKey records that key id was revoked at now, unless it
// already was; store.ErrNotFound if there is no such key.
func (s *Store) RevokeSigningKey(ctx context.Context, id string, now time.Time) error {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return s.errs.Prefix("revoke signing key", err)
	}
	// One statement, as RevokeRefreshFamily: a key is never unrevoked, so
	// reading it after an UPDATE that changed nothing tells an unknown key
	// (store.ErrNotFound) from one revoked already.
	n, err := s.exec(ctx, qRevokeSigningKey, (*nanos)(&now), id)
	if err == nil && n == 0 {
		_, err = get(ctx, s, signingKeys, "revoke signing key", id)
		return err
	}
	return s.wrap("revoke signing key", err)
}
