package sqlite

import (
	"context"
	"database/sql"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

const clientColumns = `id, secret_hash, grants, scopes, audience, created_at, updated_at`

func scanClient(r rowScanner) (store.Client, error) {
	var (
		c                        store.Client
		hash                     []byte
		grants, scopes, audience string
		createdAt, updatedAt     sql.NullInt64
	)
	if err := r.Scan(&c.ID, &hash, &grants, &scopes, &audience, &createdAt, &updatedAt); err != nil {
		return store.Client{}, err
	}
	var err error
	if c.Grants, err = decList(grants); err != nil {
		return store.Client{}, err
	}
	if c.Scopes, err = decList(scopes); err != nil {
		return store.Client{}, err
	}
	if c.Audience, err = decList(audience); err != nil {
		return store.Client{}, err
	}
	c.SecretHash = sqlcodec.Bytes(hash)
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
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		if err := claimSubject(ctx, tx, c.ID, kindClient); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO clients (`+clientColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.ID, sqlcodec.Bytes(c.SecretHash), encList(c.Grants), encList(c.Scopes), encList(c.Audience),
			encTime(c.CreatedAt), encTime(c.UpdatedAt))
		return err
	})
	return wrap("create client", err)
}

// GetClient returns the client with that ID.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	c, err := scanClient(s.stmts.getClient.QueryRowContext(ctx, id))
	if err != nil {
		return store.Client{}, wrap("get client", err)
	}
	return c, nil
}

// ListClients returns all clients ordered by ID (bytewise).
func (s *Store) ListClients(ctx context.Context) ([]store.Client, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+clientColumns+` FROM clients ORDER BY id`)
	if err != nil {
		return nil, wrap("list clients", err)
	}
	defer rows.Close()
	var cs []store.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, wrap("list clients", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list clients", err)
	}
	return cs, nil
}

// UpdateClient applies update to the stored client in one write
// transaction, which also keeps other writers out while update runs: update
// must be quick and must not call the store. Changes update makes to ID or
// CreatedAt are ignored. An error from update is returned as it is and
// nothing changes.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(store.Client) (store.Client, error)) error {
	var updErr error
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		old, err := scanClient(tx.QueryRowContext(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = ?`, id))
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
		_, err = tx.ExecContext(ctx, `UPDATE clients SET secret_hash = ?, grants = ?, scopes = ?, audience = ?,
	updated_at = ? WHERE id = ?`,
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
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM clients WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		if err := releaseSubject(ctx, tx, id, kindClient); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE refresh_families SET revoked_at = ?
	WHERE (client_id = ? OR subject = ?) AND revoked_at IS NULL`,
			encTime(now), id, id)
		return err
	})
	return wrap("delete client", err)
}
