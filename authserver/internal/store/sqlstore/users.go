package sqlstore

import (
	"context"
	"slices"
	"strings"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// users lists the columns of a user.
var users = newTable("users", 1, func(d *dialect, u *store.User) []field {
	return []field{
		{"username", &u.Username},
		{"email", &u.Email},
		{"full_name", &u.FullName},
		{"password_hash", (*blob)(&u.PasswordHash)},
		{"scopes", d.list(&u.Scopes)},
		{"disabled", &u.Disabled},
		{"created_at", (*nanos)(&u.CreatedAt)},
		{"updated_at", (*nanos)(&u.UpdatedAt)},
	}
})

// Users and clients share one subject namespace: each holds the row of its
// name in subjects, inserted in the same transaction as itself, so that the
// primary key decides any race between the two.
const (
	kindUser   = "user"
	kindClient = "client"
)

var (
	qClaimSubject   = newQuery(`INSERT INTO subjects (name, kind) VALUES (?, ?)`)
	qReleaseSubject = newQuery(`DELETE FROM subjects WHERE name = ? AND kind = ?`)
	qDeleteUser     = newQuery(`DELETE FROM users WHERE username = ?`)
	qRevokeSubject  = newQuery(`UPDATE refresh_families SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL`)
)

// CreateUser adds u; store.ErrAlreadyExists if a user or a client has that
// name.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if err := sqlcodec.CheckUser(u); err != nil {
		return s.errs.Prefix("create user", err)
	}
	return s.wrap("create user", createSubject(ctx, s, users, &u, u.Username, kindUser))
}

// createSubject inserts v, a user or client called name, with its claim on
// the name.
func createSubject[T any](ctx context.Context, s *Store, t *table[T], v *T, name, kind string) error {
	return s.inTx(ctx, func(tx tx) error {
		if _, err := tx.exec(qClaimSubject, name, kind); err != nil {
			return err
		}
		_, err := tx.exec(t.insert, t.ptrs(s.d, v)...)
		return err
	})
}

// GetUser returns the user with that name.
func (s *Store) GetUser(ctx context.Context, username string) (store.User, error) {
	return get(ctx, s, users, "get user", username)
}

// ListUsers returns all users ordered by name, bytewise whatever the
// database's collation.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	us, err := all(ctx, s, users, "list users")
	slices.SortFunc(us, func(a, b store.User) int { return strings.Compare(a.Username, b.Username) })
	return us, err
}

// UpdateUser applies update to the stored user in one transaction that
// keeps other writers of that user out while update runs (SQLite's write
// lock, PostgreSQL's row lock): update must be quick and must not call the
// store. If the database aborts the transaction as a serialization failure,
// update runs again on the then current user. Changes update makes to
// Username or CreatedAt are ignored. An error from update is returned as it
// is and nothing changes.
func (s *Store) UpdateUser(ctx context.Context, username string, update func(store.User) (store.User, error)) error {
	return update1(ctx, s, users, "update user", username, update, func(old store.User, u *store.User) error {
		u.Username, u.CreatedAt = old.Username, old.CreatedAt
		return sqlcodec.CheckTimes(u.UpdatedAt)
	})
}

// update1 reads the row of t with key, locked, and writes back what update
// makes of it, after keep has restored what may not change and checked the
// rest, in one transaction. An error from update is returned as it is.
func update1[T any](ctx context.Context, s *Store, t *table[T], op string, key any,
	update func(T) (T, error), keep func(old T, v *T) error) error {
	var updErr error
	err := s.inTx(ctx, func(tx tx) error {
		updErr = nil
		old, err := t.scan(s.d, tx.queryRow(t.lock, key))
		if err != nil {
			return err
		}
		v, err := update(old)
		if err != nil {
			updErr = err
			return err
		}
		if err := keep(old, &v); err != nil {
			return err
		}
		_, err = tx.exec(t.update, t.updateArgs(s.d, &v)...)
		return err
	})
	if updErr != nil {
		return updErr
	}
	return s.wrap(op, err)
}

// DeleteUser removes the user, frees its name and revokes its refresh
// families at the store's clock; store.ErrNotFound if there is no such user.
func (s *Store) DeleteUser(ctx context.Context, username string) error {
	return s.deleteSubject(ctx, "delete user", username, kindUser, qDeleteUser, qRevokeSubject,
		qDeleteUserSessions, qDeleteUserConsents)
}

// deleteSubject runs del, which deletes the user or client name, frees
// name and runs revoke, which revokes refresh families, at the store's
// clock: revoke's first placeholder is the time, every other one name.
// Then it runs each of cleanup, which removes what name leaves behind, with
// name as its one placeholder. store.ErrNotFound if del deleted nothing.
func (s *Store) deleteSubject(ctx context.Context, op, name, kind string, del, revoke query, cleanup ...query) error {
	now := s.now()
	if err := sqlcodec.CheckTimes(now); err != nil {
		return s.errs.Prefix(op, err)
	}
	err := s.inTx(ctx, func(tx tx) error {
		res, err := tx.exec(del, name)
		if err != nil {
			return err
		}
		if err := mustAffect(res); err != nil {
			return err
		}
		if _, err := tx.exec(qReleaseSubject, name, kind); err != nil {
			return err
		}
		args := []any{(*nanos)(&now)}
		for range strings.Count(queryTexts[revoke], "?") - 1 {
			args = append(args, name)
		}
		if _, err = tx.exec(revoke, args...); err != nil {
			return err
		}
		for _, q := range cleanup {
			if _, err := tx.exec(q, name); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap(op, err)
}
