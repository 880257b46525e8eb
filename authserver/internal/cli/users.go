package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

const usernameRules = `NAME is normalised as RFC 8265 says (the UsernameCaseMapped profile): upper
case becomes lower case, full-width letters their usual form, and the result
is in Unicode NFC; so "Bob", "ＢＯＢ" and "bob" are one user, "bob", and the
Kelvin sign is the letter k. The normalised name is stored, is the "sub" of
the user's tokens, and is what logging in with any spelling of it finds. It
must not be empty or longer than 128 bytes, contain control, invisible or
space characters other than single spaces between its parts, or symbols
outside ASCII. Users and clients share one namespace: a user cannot take a
client's ID as name. Every users command normalises NAME the same way.`

const passwordInput = `The password is read from standard input: its first line, without the line
ending. On a terminal it is asked for twice, without echo. It must not be
empty or longer than 72 bytes, the most bcrypt uses.`

var usersAddCommand = command{
	name:    "users add",
	args:    []string{"NAME"},
	summary: "add a user; the password is read from standard input",
	details: usernameRules + "\n\n" + passwordInput + "\n\nThe password is hashed with bcrypt at --bcrypt-cost.",
	db:      dbExisting,
	setup: func(fs *flag.FlagSet) action {
		email := fs.String("email", "", "the user's e-mail `address`")
		fullName := fs.String("full-name", "", "the user's full `name`")
		scopes := fs.String("scopes", "", "comma-separated `list` of the scopes the user may be granted; none means no restriction")
		return func(ctx context.Context, a *app, args []string) error {
			const cmd = "users add"
			name, err := normalizeUsername(args[0])
			if err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			if err := checkEmail(*email); err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			if err := checkText("--full-name", *fullName); err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			sc, err := parseList("scopes", *scopes, checkScope)
			if err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			// Refuse a taken name before asking for a password.
			if err := a.nameFree(ctx, name, "user"); err != nil {
				return err
			}
			hash, err := a.hashPassword(ctx, name)
			if err != nil {
				return err
			}
			now := a.now()
			err = a.db.CreateUser(ctx, store.User{
				Username:     name,
				Email:        *email,
				FullName:     *fullName,
				PasswordHash: hash,
				Scopes:       sc,
				CreatedAt:    now,
				UpdatedAt:    now,
			})
			if errors.Is(err, store.ErrAlreadyExists) {
				return a.alreadyExists(ctx, name, "user")
			}
			if err != nil {
				return fmt.Errorf("adding user %q: %w", name, err)
			}
			a.audit(ctx, "user added", "user", name, "scopes", sc)
			fmt.Fprintf(a.stdout, "user %q added\n", name)
			return nil
		}
	},
}

// nameFree returns an error if a user or a client already has name, nil if
// neither has. what is "user" or "client", the kind about to be created.
func (a *app) nameFree(ctx context.Context, name, what string) error {
	_, err := a.db.GetUser(ctx, name)
	switch {
	case err == nil && what == "user":
		return fmt.Errorf("user %q already exists", name)
	case err == nil:
		return fmt.Errorf("%q is already a user's name; users and clients share one namespace", name)
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("looking up user %q: %w", name, err)
	}
	_, err = a.db.GetClient(ctx, name)
	switch {
	case err == nil && what == "client":
		return fmt.Errorf("client %q already exists", name)
	case err == nil:
		return fmt.Errorf("%q is already a client's ID; users and clients share one namespace", name)
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("looking up client %q: %w", name, err)
	}
	return nil
}

// alreadyExists explains the store's ErrAlreadyExists for name, which was
// free when nameFree checked it.
func (a *app) alreadyExists(ctx context.Context, name, what string) error {
	if err := a.nameFree(ctx, name, what); err != nil {
		return err
	}
	return fmt.Errorf("%s %q already exists", what, name)
}

// hashPassword reads a new password for the user from stdin and hashes it.
func (a *app) hashPassword(ctx context.Context, username string) ([]byte, error) {
	pw, err := a.readPassword(ctx, username)
	if err != nil {
		return nil, err
	}
	h, err := password.NewHasher(a.cfg.BcryptCost, 1)
	if err != nil {
		return nil, err
	}
	hash, err := h.Hash(ctx, pw)
	if err != nil {
		return nil, passwordError(err)
	}
	return hash, nil
}

var usersListCommand = command{
	name:    "users list",
	summary: "list the users (never their password hashes)",
	db:      dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, _ []string) error {
			users, err := a.db.ListUsers(ctx)
			if err != nil {
				return fmt.Errorf("listing users: %w", err)
			}
			t := newTable(a.stdout, "NAME", "EMAIL", "FULL NAME", "SCOPES", "DISABLED")
			for _, u := range users {
				scopes := list(u.Scopes)
				if scopes == "" {
					scopes = "(any)"
				}
				t.row(u.Username, u.Email, u.FullName, scopes, yesNo(u.Disabled))
			}
			return t.flush()
		}
	},
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

var usersDisableCommand = command{
	name:    "users disable",
	args:    []string{"NAME"},
	summary: "disable a user and revoke its refresh tokens",
	details: "A disabled user cannot obtain tokens. Its refresh tokens are revoked, and with\nthem the access tokens issued under them.",
	db:      dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, args []string) error {
			name, err := normalizeUsername(args[0])
			if err != nil {
				return &usageError{cmd: "users disable", err: err}
			}
			if err := a.setDisabled(ctx, name, true); err != nil {
				return err
			}
			if err := a.revokeUser(ctx, name); err != nil {
				return err
			}
			a.audit(ctx, "user disabled and its refresh tokens revoked", "user", name)
			fmt.Fprintf(a.stdout, "user %q disabled; its refresh tokens are revoked\n", name)
			return nil
		}
	},
}

var usersEnableCommand = command{
	name:    "users enable",
	args:    []string{"NAME"},
	summary: "enable a disabled user",
	db:      dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, args []string) error {
			name, err := normalizeUsername(args[0])
			if err != nil {
				return &usageError{cmd: "users enable", err: err}
			}
			if err := a.setDisabled(ctx, name, false); err != nil {
				return err
			}
			a.audit(ctx, "user enabled", "user", name)
			fmt.Fprintf(a.stdout, "user %q enabled\n", name)
			return nil
		}
	},
}

func (a *app) setDisabled(ctx context.Context, name string, disabled bool) error {
	now := a.now()
	err := a.db.UpdateUser(ctx, name, func(u store.User) (store.User, error) {
		u.Disabled = disabled
		u.UpdatedAt = now
		return u, nil
	})
	return userError(name, "updating", err)
}

func (a *app) revokeUser(ctx context.Context, name string) error {
	if err := a.db.RevokeUserRefreshFamilies(ctx, name, a.now()); err != nil {
		return fmt.Errorf("revoking the refresh tokens of user %q: %w", name, err)
	}
	return nil
}

// userError words a store error about the user name; nil stays nil.
func userError(name, doing string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("user %q does not exist", name)
	}
	return fmt.Errorf("%s user %q: %w", doing, name, err)
}

var usersPasswdCommand = command{
	name:    "users passwd",
	args:    []string{"NAME"},
	summary: "set a user's password, read from standard input, and revoke its refresh tokens",
	details: passwordInput + "\n\nThe user's refresh tokens are revoked, so every session must log in again.",
	db:      dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, args []string) error {
			name, err := normalizeUsername(args[0])
			if err != nil {
				return &usageError{cmd: "users passwd", err: err}
			}
			if _, err := a.db.GetUser(ctx, name); err != nil {
				return userError(name, "looking up", err)
			}
			hash, err := a.hashPassword(ctx, name)
			if err != nil {
				return err
			}
			now := a.now()
			err = a.db.UpdateUser(ctx, name, func(u store.User) (store.User, error) {
				u.PasswordHash = hash
				u.UpdatedAt = now
				return u, nil
			})
			if err := userError(name, "updating", err); err != nil {
				return err
			}
			if err := a.revokeUser(ctx, name); err != nil {
				return err
			}
			a.audit(ctx, "user password changed and its refresh tokens revoked", "user", name)
			fmt.Fprintf(a.stdout, "password of user %q changed; its refresh tokens are revoked\n", name)
			return nil
		}
	},
}

var usersDeleteCommand = command{
	name:    "users delete",
	args:    []string{"NAME"},
	summary: "delete a user and revoke its refresh tokens",
	db:      dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, args []string) error {
			name, err := normalizeUsername(args[0])
			if err != nil {
				return &usageError{cmd: "users delete", err: err}
			}
			if err := userError(name, "deleting", a.db.DeleteUser(ctx, name)); err != nil {
				return err
			}
			a.audit(ctx, "user deleted", "user", name)
			fmt.Fprintf(a.stdout, "user %q deleted\n", name)
			return nil
		}
	},
}
