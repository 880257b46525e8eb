package sqlstore

import (
	"context"
	"slices"
	"strings"

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
	}
})

var qDeleteSigningKey = newQuery(`DELETE FROM signing_keys WHERE id = ?`)

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
