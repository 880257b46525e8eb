package token

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-oauth2/oauth2/v4"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/scope"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/username"
)

// Limits on the credentials, checked before any work is done on them.
const (
	maxUsernameLen = 256
	maxPasswordLen = 72 // bcrypt's limit: longer passwords are refused, never truncated
)

// passwordRequest is a resource owner password credentials request (RFC
// 6749 §4.3.2).
type passwordRequest struct {
	username, password string
	scope              string
	resources          []string // RFC 8707
	// source is the HTTP request, by whose address the throttle counts
	// failed logins.
	source *http.Request
}

func newPasswordRequest(r *http.Request, f url.Values) passwordRequest {
	return passwordRequest{
		username:  f.Get("username"),
		password:  f.Get("password"),
		scope:     f.Get("scope"),
		resources: f["resource"],
		source:    r,
	}
}

// passwordStore is the part of the store the password grant reads users
// from and upgrades their hashes in.
type passwordStore interface {
	GetUser(ctx context.Context, username string) (store.User, error)
	UpdateUser(ctx context.Context, username string, update func(store.User) (store.User, error)) error
}

// passwordGrant decides password grants.
type passwordGrant struct {
	users     passwordStore
	passwords Passwords
	throttle  LoginThrottle
	logger    *slog.Logger
	// familyTTL is the absolute lifetime of the refresh family a login
	// starts.
	familyTTL time.Duration
}

// decide checks the resource owner's credentials and decides the
// subject, scope, audience and, if the client may refresh, the new refresh
// family.
//
// The user name is normalised (package username) before anything else, so
// look-alike spellings are one account with one failure count. While the
// account is locked out, the password is still compared, so that the
// answer takes as long as usual, but even the right one fails with the
// same invalid_grant as a wrong one.
func (g *passwordGrant) decide(ctx context.Context, client store.Client, req passwordRequest, now time.Time) (decision, error) {
	if req.username == "" || req.password == "" {
		return decision{}, oautherr.InvalidRequest("username and password are required")
	}
	// Scope and audience are checked against the client before the
	// password, so their errors say nothing about the user.
	if _, err := scope.Grant(req.scope, client.Scopes, nil); err != nil {
		return decision{}, err
	}
	aud, err := scope.Audience(req.resources, client.Audience)
	if err != nil {
		return decision{}, err
	}
	failed := oautherr.InvalidGrant("invalid username or password")
	if len(req.username) > maxUsernameLen || len(req.password) > maxPasswordLen {
		g.throttle.LoginFailed(req.source, client.ID, "")
		return decision{}, failed
	}
	name, err := username.Normalize(req.username)
	if err != nil {
		g.throttle.LoginFailed(req.source, client.ID, "")
		return decision{}, failed
	}
	locked := g.throttle.AccountLocked(name)
	u, err := g.users.GetUser(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u = store.User{} // Verify compares against a dummy hash
	case err != nil:
		return decision{}, oautherr.Unavailable(err)
	}
	ok, rehash, err := g.passwords.Verify(ctx, u.PasswordHash, req.password)
	if err != nil {
		if ctx.Err() != nil {
			return decision{}, oautherr.Unavailable(ctx.Err())
		}
		return decision{}, failed
	}
	if locked || !ok || u.Disabled {
		g.throttle.LoginFailed(req.source, client.ID, name)
		return decision{}, failed
	}
	g.throttle.LoginSucceeded(name)
	if rehash {
		g.rehash(ctx, u.Username, req.password)
	}
	scopes, err := scope.Grant(req.scope, client.Scopes, u.Scopes)
	if err != nil {
		return decision{}, err
	}
	d := decision{
		grant:    oauth2.PasswordCredentials,
		client:   client,
		now:      now,
		subject:  u.Username,
		scopes:   scopes,
		audience: aud,
	}
	if slices.Contains(client.Grants, GrantRefreshToken) {
		d.refresh = &refreshDecision{
			family: store.RefreshFamily{
				ID:        rand.Text(),
				ClientID:  client.ID,
				Subject:   u.Username,
				CreatedAt: now,
				ExpiresAt: now.Add(g.familyTTL),
			},
			scopes:   scopes,
			audience: aud,
		}
	}
	return d, nil
}

// rehash upgrades a stored hash to the configured cost after a successful
// login. Failure only delays the upgrade, so it is logged, not returned.
func (g *passwordGrant) rehash(ctx context.Context, username, pw string) {
	hash, err := g.passwords.Hash(ctx, pw)
	if err == nil {
		err = g.users.UpdateUser(ctx, username, func(u store.User) (store.User, error) {
			u.PasswordHash = hash
			return u, nil
		})
	}
	if err != nil {
		g.logger.WarnContext(ctx, "password rehash failed", "user", username, "err", err)
	}
}
