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

const (
	kindUser   = "user"
	kindClient = "client"
)

const userColumns = `username, email, full_name, password_hash, scopes, disabled, created_at, updated_at`

func scanUser(r pgx.Row) (store.User, error) {
	var (
		u                    store.User
		createdAt, updatedAt pgtype.Int8
	)
	if err := r.Scan(&u.Username, &u.Email, &u.FullName, &u.PasswordHash, &u.Scopes, &u.Disabled, &createdAt, &updatedAt); err != nil {
		return store.User{}, err
	}
	u.Scopes = sqlcodec.List(u.Scopes)
	u.PasswordHash = sqlcodec.Bytes(u.PasswordHash)
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := claimSubject(ctx, tx, u.Username, kindUser); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			u.Username, u.Email, u.FullName, sqlcodec.Bytes(u.PasswordHash), encList(u.Scopes),
			u.Disabled, encTime(u.CreatedAt), encTime(u.UpdatedAt))
		return err
	})
	return wrap("create user", err)
}

// claimSubject takes name in the subject namespace shared by users and
// clients; a unique violation means it is taken.
func claimSubject(ctx context.Context, tx pgx.Tx, name, kind string) error {
	_, err := tx.Exec(ctx, `INSERT INTO subjects (name, kind) VALUES ($1, $2)`, name, kind)
	return err
}

// releaseSubject frees name.
func releaseSubject(ctx context.Context, tx pgx.Tx, name, kind string) error {
	_, err := tx.Exec(ctx, `DELETE FROM subjects WHERE name = $1 AND kind = $2`, name, kind)
	return err
}

// GetUser returns the user with that name.
func (s *Store) GetUser(ctx context.Context, username string) (store.User, error) {
	var u store.User
	err := s.read(ctx, func() error {
		var err error
		u, err = scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
		return err
	})
	if err != nil {
		return store.User{}, wrap("get user", err)
	}
	return u, nil
}

// ListUsers returns all users ordered by name, bytewise whatever the
// database's collation.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	var us []store.User
	err := s.read(ctx, func() error {
		rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users`)
		if err != nil {
			return err
		}
		us, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.User, error) { return scanUser(r) })
		return err
	})
	if err != nil {
		return nil, wrap("list users", err)
	}
	slices.SortFunc(us, func(a, b store.User) int { return strings.Compare(a.Username, b.Username) })
	return us, nil
}

// UpdateUser applies update to the stored user in one transaction that
// holds the user's row lock, which keeps other writers of that user out
// while update runs: update must be quick and must not call the store. If
// the database aborts the transaction as a serialization failure, update
// runs again on the then current user. Changes update makes to Username or
// CreatedAt are ignored. An error from update is returned as it is and
// nothing changes.
func (s *Store) UpdateUser(ctx context.Context, username string, update func(store.User) (store.User, error)) error {
	var updErr error
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1 FOR UPDATE`, username))
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
		_, err = tx.Exec(ctx, `UPDATE users SET email = $1, full_name = $2, password_hash = $3, scopes = $4,
	disabled = $5, updated_at = $6 WHERE username = $7`,
			u.Email, u.FullName, sqlcodec.Bytes(u.PasswordHash), encList(u.Scopes),
			u.Disabled, encTime(u.UpdatedAt), u.Username)
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM users WHERE username = $1`, username)
		if err != nil {
			return err
		}
		if err := mustAffect(tag); err != nil {
			return err
		}
		if err := releaseSubject(ctx, tx, username, kindUser); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE refresh_families SET revoked_at = $1 WHERE subject = $2 AND revoked_at IS NULL`,
			encTime(now), username)
		return err
	})
	return wrap("delete user", err)
}
