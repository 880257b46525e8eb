package login

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/username"
)

// Limits on the credentials, checked before any work is done on them.
const (
	MaxUsernameLen = 256
	MaxPasswordLen = 72 // bcrypt's limit: longer passwords are refused, never truncated
)

// ErrFailed is every failed login: the caller cannot tell why, and neither
// can whoever it answers.
var ErrFailed = errors.New("login: invalid username or password")

// Users is the part of the store logins read users from and upgrade their
// hashes in.
type Users interface {
	GetUser(ctx context.Context, username string) (store.User, error)
	UpdateUser(ctx context.Context, username string, update func(store.User) (store.User, error)) error
}

// Passwords verifies and hashes users' passwords.
type Passwords interface {
	Verify(ctx context.Context, hash []byte, pw string) (ok, rehash bool, err error)
	Hash(ctx context.Context, pw string) ([]byte, error)
}

// Throttle locks out accounts that fail to log in too often, and counts
// failed logins against the client and the source address too.
// *throttle.Guard implements it.
type Throttle interface {
	// AccountLocked reports whether the account (normalised user name) is
	// locked out.
	AccountLocked(ctx context.Context, username string) bool
	// LoginFailed records a failed login to username ("" when the name was
	// not even valid) through clientID by r.
	LoginFailed(r *http.Request, clientID, username string)
	// LoginSucceeded clears the account's failures.
	LoginSucceeded(ctx context.Context, username string)
}

// Checker checks credentials.
type Checker struct {
	users     Users
	passwords Passwords
	throttle  Throttle
	logger    *slog.Logger
}

// NewChecker returns a Checker. A nil throttle limits nothing.
func NewChecker(users Users, passwords Passwords, throttle Throttle, logger *slog.Logger) *Checker {
	if throttle == nil {
		throttle = noThrottle{}
	}
	return &Checker{users: users, passwords: passwords, throttle: throttle, logger: logger}
}

// Unavailable wraps a failure of the store or of the request's context:
// not a failed login, and not counted as one.
type Unavailable struct{ Err error }

func (e *Unavailable) Error() string { return "login: " + e.Err.Error() }
func (e *Unavailable) Unwrap() error { return e.Err }

// Check returns the user whose name and password source presented through
// clientID, ErrFailed, or *Unavailable. name and password must not be
// empty: the caller answers a missing one as the malformed request it is.
func (c *Checker) Check(ctx context.Context, source *http.Request, clientID, name, password string) (store.User, error) {
	if len(name) > MaxUsernameLen || len(password) > MaxPasswordLen {
		c.throttle.LoginFailed(source, clientID, "")
		return store.User{}, ErrFailed
	}
	canonical, err := username.Normalize(name)
	if err != nil {
		c.throttle.LoginFailed(source, clientID, "")
		return store.User{}, ErrFailed
	}
	// While the account is locked out, the password is still compared, so
	// that the answer takes as long as usual.
	locked := c.throttle.AccountLocked(ctx, canonical)
	u, err := c.users.GetUser(ctx, canonical)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u = store.User{} // Verify compares against a dummy hash
	case err != nil:
		return store.User{}, &Unavailable{err}
	}
	ok, rehash, err := c.passwords.Verify(ctx, u.PasswordHash, password)
	if err != nil {
		if ctx.Err() != nil {
			return store.User{}, &Unavailable{ctx.Err()}
		}
		return store.User{}, ErrFailed
	}
	if locked || !ok || u.Disabled {
		c.throttle.LoginFailed(source, clientID, canonical)
		return store.User{}, ErrFailed
	}
	c.throttle.LoginSucceeded(ctx, canonical)
	if rehash {
		c.rehash(ctx, u.Username, password)
	}
	return u, nil
}

// rehash upgrades a stored hash to the configured cost after a successful
// login. Failure only delays the upgrade, so it is logged, not returned.
func (c *Checker) rehash(ctx context.Context, username, pw string) {
	hash, err := c.passwords.Hash(ctx, pw)
	if err == nil {
		err = c.users.UpdateUser(ctx, username, func(u store.User) (store.User, error) {
			u.PasswordHash = hash
			return u, nil
		})
	}
	if err != nil {
		c.logger.WarnContext(ctx, "password rehash failed", "user", username, "err", err)
	}
}

// noThrottle is the Throttle of a checker without one.
type noThrottle struct{}

func (noThrottle) AccountLocked(context.Context, string) bool { return false }
func (noThrottle) LoginFailed(*http.Request, string, string)  {}
func (noThrottle) LoginSucceeded(context.Context, string)     {}
