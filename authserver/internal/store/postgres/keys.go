package postgres

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// CreateSigningKey adds a key; store.ErrAlreadyExists for a duplicate ID.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	if err := sqlcodec.CheckSigningKey(k); err != nil {
		return errs.Prefix("create signing key", err)
	}
	_, err := s.exec(ctx, `INSERT INTO signing_keys (id, algorithm, private_key, created_at, activates_at)
VALUES ($1, $2, $3, $4, $5)`, k.ID, k.Algorithm, k.PrivateKey, encTime(k.CreatedAt), encTime(k.ActivatesAt))
	return wrap("create signing key", err)
}

// ListSigningKeys returns every key ordered by ActivatesAt, then ID
// (bytewise).
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	var ks []store.SigningKey
	err := s.read(ctx, func() error {
		rows, err := s.pool.Query(ctx, `SELECT id, algorithm, private_key, created_at, activates_at FROM signing_keys`)
		if err != nil {
			return err
		}
		ks, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SigningKey, error) {
			var (
				k                      store.SigningKey
				createdAt, activatesAt pgtype.Int8
			)
			if err := r.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &createdAt, &activatesAt); err != nil {
				return store.SigningKey{}, err
			}
			k.CreatedAt, k.ActivatesAt = decTime(createdAt), decTime(activatesAt)
			return k, nil
		})
		return err
	})
	if err != nil {
		return nil, wrap("list signing keys", err)
	}
	// The zero ActivatesAt (NULL) sorts first, as in the SQLite backend.
	slices.SortFunc(ks, func(a, b store.SigningKey) int {
		if c := a.ActivatesAt.Compare(b.ActivatesAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ks, nil
}

// DeleteSigningKey removes a key; store.ErrNotFound if there is none with
// that ID.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	tag, err := s.exec(ctx, `DELETE FROM signing_keys WHERE id = $1`, id)
	if err == nil {
		err = mustAffect(tag)
	}
	return wrap("delete signing key", err)
}
