package sqlite

import (
	"context"
	"database/sql"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// CreateSigningKey adds a key; store.ErrAlreadyExists for a duplicate ID.
func (s *Store) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	if err := sqlcodec.CheckSigningKey(k); err != nil {
		return errs.Prefix("create signing key", err)
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO signing_keys (id, algorithm, private_key, created_at, activates_at)
VALUES (?, ?, ?, ?, ?)`, k.ID, k.Algorithm, k.PrivateKey, encTime(k.CreatedAt), encTime(k.ActivatesAt))
	return wrap("create signing key", err)
}

// ListSigningKeys returns every key ordered by ActivatesAt, then ID.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, algorithm, private_key, created_at, activates_at
FROM signing_keys ORDER BY activates_at, id`)
	if err != nil {
		return nil, wrap("list signing keys", err)
	}
	defer rows.Close()
	var ks []store.SigningKey
	for rows.Next() {
		var (
			k                      store.SigningKey
			createdAt, activatesAt sql.NullInt64
		)
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.PrivateKey, &createdAt, &activatesAt); err != nil {
			return nil, wrap("list signing keys", err)
		}
		k.CreatedAt, k.ActivatesAt = decTime(createdAt), decTime(activatesAt)
		ks = append(ks, k)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list signing keys", err)
	}
	return ks, nil
}

// DeleteSigningKey removes a key; store.ErrNotFound if there is none with
// that ID.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = ?`, id)
	if err == nil {
		err = mustAffect(res)
	}
	return wrap("delete signing key", err)
}
