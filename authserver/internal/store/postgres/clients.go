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

const clientColumns = `id, secret_hash, grants, scopes, audience, created_at, updated_at`

func scanClient(r pgx.Row) (store.Client, error) {
	var (
		c                    store.Client
		createdAt, updatedAt pgtype.Int8
	)
	if err := r.Scan(&c.ID, &c.SecretHash, &c.Grants, &c.Scopes, &c.Audience, &createdAt, &updatedAt); err != nil {
		return store.Client{}, err
	}
	c.Grants, c.Scopes, c.Audience = sqlcodec.List(c.Grants), sqlcodec.List(c.Scopes), sqlcodec.List(c.Audience)
	c.SecretHash = sqlcodec.Bytes(c.SecretHash)
	c.CreatedAt = decTime(createdAt)
	c.UpdatedAt = decTime(updatedAt)
	return c, nil
}

// CreateClient adds c; store.ErrAlreadyExists if a client or a user has
// that name.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	if err := sqlcodec.CheckClient(c); err != nil {
		return errs.Prefix("create client", err)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := claimSubject(ctx, tx, c.ID, kindClient); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO clients (`+clientColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, sqlcodec.Bytes(c.SecretHash), encList(c.Grants), encList(c.Scopes), encList(c.Audience),
			encTime(c.CreatedAt), encTime(c.UpdatedAt))
		return err
	})
	return wrap("create client", err)
}

// GetClient returns the client with that ID.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	var c store.Client
	err := s.read(ctx, func() error {
		var err error
		c, err = scanClient(s.pool.QueryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1`, id))
		return err
	})
	if err != nil {
		return store.Client{}, wrap("get client", err)
	}
	return c, nil
}

// ListClients returns all clients ordered by ID, bytewise whatever the
// database's collation.
func (s *Store) ListClients(ctx context.Context) ([]store.Client, error) {
	var cs []store.Client
	err := s.read(ctx, func() error {
		rows, err := s.pool.Query(ctx, `SELECT `+clientColumns+` FROM clients`)
		if err != nil {
			return err
		}
		cs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Client, error) { return scanClient(r) })
		return err
	})
	if err != nil {
		return nil, wrap("list clients", err)
	}
	slices.SortFunc(cs, func(a, b store.Client) int { return strings.Compare(a.ID, b.ID) })
	return cs, nil
}

// UpdateClient applies update to the stored client in one transaction
// that holds the client's row lock, as UpdateUser does: update must be quick
// and must not call the store, and may run again if the database aborts the
// transaction as a serialization failure. Changes update makes to ID or
// CreatedAt are ignored. An error from update is returned as it is and
// nothing changes.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(store.Client) (store.Client, error)) error {
	var updErr error
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanClient(tx.QueryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		c, err := update(old)
		if err != nil {
			updErr = err
			return err
		}
		c.ID, c.CreatedAt = old.ID, old.CreatedAt
		if err := sqlcodec.CheckTimes(c.UpdatedAt); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE clients SET secret_hash = $1, grants = $2, scopes = $3, audience = $4,
	updated_at = $5 WHERE id = $6`,
			sqlcodec.Bytes(c.SecretHash), encList(c.Grants), encList(c.Scopes), encList(c.Audience),
			encTime(c.UpdatedAt), c.ID)
		return err
	})
	if updErr != nil {
		return updErr
	}
	return wrap("update client", err)
}

// DeleteClient removes the client, frees its ID and revokes, at the store's
// clock, the refresh families issued to it or whose subject it is;
// store.ErrNotFound if there is no such client.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	now := s.now()
	if err := sqlcodec.CheckTimes(now); err != nil {
		return errs.Prefix("delete client", err)
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM clients WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if err := mustAffect(tag); err != nil {
			return err
		}
		if err := releaseSubject(ctx, tx, id, kindClient); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE refresh_families SET revoked_at = $1
	WHERE (client_id = $2 OR subject = $2) AND revoked_at IS NULL`,
			encTime(now), id)
		return err
	})
	return wrap("delete client", err)
}
