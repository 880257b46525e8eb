package sqlite

import (
	"context"
	"database/sql"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

const (
	kindUser   = "user"
	kindClient = "client"
)

const userColumns = `username, email, full_name, password_hash, scopes, disabled, created_at, updated_at`

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

func scanUser(r rowScanner) (store.User, error) {
	var (
		u                    store.User
		hash                 []byte
		scopes               string
		disabled             int
		createdAt, updatedAt sql.NullInt64
	)
	if err := r.Scan(&u.Username, &u.Email, &u.FullName, &hash, &scopes, &disabled, &createdAt, &updatedAt); err != nil {
		return store.User{}, err
	}
	var err error
	if u.Scopes, err = decList(scopes); err != nil {
		return store.User{}, err
	}
	u.PasswordHash = sqlcodec.Bytes(hash)
	u.Disabled = disabled != 0
	u.CreatedAt = decTime(createdAt)
	u.UpdatedAt = decTime(updatedAt)
	return u, nil
}

// CreateUser adds u; store.ErrAlreadyExists if a user or a client has that
// name.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if err := sqlcodec.CheckUser(u); err != nil {
		return errs.Prefix("create user", err)
	}
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		if err := claimSubject(ctx, tx, u.Username, kindUser); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			u.Username, u.Email, u.FullName, sqlcodec.Bytes(u.PasswordHash), encList(u.Scopes),
			boolInt(u.Disabled), encTime(u.CreatedAt), encTime(u.UpdatedAt))
		return err
	})
	return wrap("create user", err)
}

// claimSubject takes name in the subject namespace shared by users and
// clients; a unique violation means it is taken.
func claimSubject(ctx context.Context, tx *sql.Tx, name, kind string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO subjects (name, kind) VALUES (?, ?)`, name, kind)
	return err
}

// releaseSubject frees name.
func releaseSubject(ctx context.Context, tx *sql.Tx, name, kind string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM subjects WHERE name = ? AND kind = ?`, name, kind)
	return err
}

// GetUser returns the user with that name.
func (s *Store) GetUser(ctx context.Context, username string) (store.User, error) {
	u, err := scanUser(s.stmts.getUser.QueryRowContext(ctx, username))
	if err != nil {
		return store.User{}, wrap("get user", err)
	}
	return u, nil
}

// ListUsers returns all users ordered by name (bytewise).
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, wrap("list users", err)
	}
	defer rows.Close()
	var us []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, wrap("list users", err)
		}
		us = append(us, u)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list users", err)
	}
	return us, nil
}

// UpdateUser applies update to the stored user in one write transaction,
// which also keeps other writers out while update runs: update must be quick
// and must not call the store. Changes update makes to Username or CreatedAt
// are ignored. An error from update is returned as it is and nothing changes.
func (s *Store) UpdateUser(ctx context.Context, username string, update func(store.User) (store.User, error)) error {
	var updErr error
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		old, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`, username))
		if err != nil {
			return err
		}
		u, err := update(old)
		if err != nil {
			updErr = err
			return err
		}
		u.Username, u.CreatedAt = old.Username, old.CreatedAt
		if err := sqlcodec.CheckTimes(u.UpdatedAt); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET email = ?, full_name = ?, password_hash = ?, scopes = ?,
	disabled = ?, updated_at = ? WHERE username = ?`,
			u.Email, u.FullName, sqlcodec.Bytes(u.PasswordHash), encList(u.Scopes),
			boolInt(u.Disabled), encTime(u.UpdatedAt), u.Username)
		return err
	})
	if updErr != nil {
		return updErr
	}
	return wrap("update user", err)
}

// DeleteUser removes the user, frees its name and revokes its refresh
// families at the store's clock; store.ErrNotFound if there is no such user.
func (s *Store) DeleteUser(ctx context.Context, username string) error {
	now := s.now()
	if err := sqlcodec.CheckTimes(now); err != nil {
		return errs.Prefix("delete user", err)
	}
	err := s.inWriteTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE username = ?`, username)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		if err := releaseSubject(ctx, tx, username, kindUser); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE refresh_families SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL`,
			encTime(now), username)
		return err
	})
	return wrap("delete user", err)
}

// mustAffect returns store.ErrNotFound if res affected no row.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
