package token

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	"github.com/go-oauth2/oauth2/v4/manage"

	"github.com/fastsafe/fastsafe/authserver/internal/form"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/reqlog"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/username"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// Grant types, as sent in grant_type and stored in store.Client.Grants.
const (
	GrantPassword          = "password"
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

// Limits on parameters, checked before any work is done on them.
const (
	maxUsernameLen = 256
	maxPasswordLen = 72 // bcrypt's limit: longer passwords are refused, never truncated
	maxRefreshLen  = 512
	maxScopeLen    = 2048
)

// Store is what the token endpoint reads and writes.
type Store interface {
	GetUser(ctx context.Context, username string) (store.User, error)
	UpdateUser(ctx context.Context, username string, update func(store.User) (store.User, error)) error
	GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, store.RefreshFamily, error)
	RevokeRefreshFamily(ctx context.Context, id string, now time.Time) error
	refreshStore
}

// Passwords verifies and hashes users' passwords.
type Passwords interface {
	Verify(ctx context.Context, hash []byte, pw string) (ok, rehash bool, err error)
	Hash(ctx context.Context, pw string) ([]byte, error)
}

// ClientAuthenticator authenticates the client of a request.
type ClientAuthenticator interface {
	Authenticate(ctx context.Context, r *http.Request, form url.Values, confidentialOnly bool) (store.Client, error)
}

// LoginThrottle locks out accounts that fail to log in too often, and
// counts failed logins against the client and the source address too.
// *throttle.Guard implements it.
type LoginThrottle interface {
	// AccountLocked reports whether the account (normalised user name) is
	// locked out.
	AccountLocked(username string) bool
	// LoginFailed records a failed login to username ("" when the name was
	// not even valid) through clientID by r.
	LoginFailed(r *http.Request, clientID, username string)
	// LoginSucceeded clears the account's failures.
	LoginSucceeded(username string)
}

// Options configures the token endpoint.
type Options struct {
	Issuer string
	// AccessTokenTTL is the lifetime of access tokens.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the idle lifetime of a refresh token: unused for
	// this long, it expires.
	RefreshTokenTTL time.Duration
	// RefreshTokenAbsoluteTTL bounds a whole refresh family from the
	// password grant that started it.
	RefreshTokenAbsoluteTTL time.Duration
	Now                     func() time.Time
	Logger                  *slog.Logger
	// Throttle limits password guessing; nil means no limit.
	Throttle LoginThrottle
	// Observer is told of issued tokens, errors and refresh token reuse,
	// for metrics; nil means nobody is told.
	Observer Observer
}

// Observer is told what the token endpoint does. Labels it is given are
// bounded: grant types, OAuth error codes, and IDs of clients that
// authenticated.
type Observer interface {
	// TokenIssued: an access token was issued with grant to clientID.
	TokenIssued(grant, clientID string)
	// TokenError: endpoint ("token") answered with the OAuth error code.
	TokenError(endpoint, code string)
	// RefreshReuseDetected: a rotated refresh token came back; its grant
	// was revoked.
	RefreshReuseDetected()
}

// Handler serves POST /token.
type Handler struct {
	opts      Options
	store     Store
	passwords Passwords
	clients   ClientAuthenticator
	engine    *manage.Manager
}

// NewHandler returns the token endpoint.
func NewHandler(opts Options, st Store, clients ClientAuthenticator, passwords Passwords, signer Signer) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{
		opts:      opts,
		store:     st,
		passwords: passwords,
		clients:   clients,
		engine:    newEngine(opts.Issuer, opts.AccessTokenTTL, signer, st),
	}
}

// response is the successful token response of RFC 6749 §5.1.
type response struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var grant string
	ti, err := h.serve(w, r, &grant)
	if err != nil {
		if h.opts.Observer != nil {
			h.opts.Observer.TokenError("token", oautherr.From(err).Code)
		}
		oautherr.WriteContext(r.Context(), w, h.opts.Logger, err)
		return
	}
	if h.opts.Observer != nil {
		h.opts.Observer.TokenIssued(grant, ti.GetClientID())
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json;charset=UTF-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(response{
		AccessToken:  ti.GetAccess(),
		TokenType:    "Bearer",
		ExpiresIn:    int64(ti.GetAccessExpiresIn() / time.Second),
		RefreshToken: ti.GetRefresh(),
		Scope:        ti.GetScope(),
	})
}

// serve issues the token, setting *grant to the grant type once it is
// known to be one of those supported.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, grant *string) (oauth2.TokenInfo, error) {
	f, err := form.Parse(w, r, "resource")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	gt := f.Get("grant_type")
	switch gt {
	case "":
		return nil, oautherr.InvalidRequest("grant_type is required")
	case GrantPassword, GrantClientCredentials, GrantRefreshToken:
	default:
		return nil, oautherr.UnsupportedGrantType("grant_type must be password, client_credentials or refresh_token")
	}
	*grant = gt
	client, err := h.clients.Authenticate(ctx, r, f, gt == GrantClientCredentials)
	if err != nil {
		return nil, err
	}
	reqlog.SetClientID(ctx, client.ID)
	if !slices.Contains(client.Grants, gt) {
		return nil, oautherr.UnauthorizedClient("the client may not use the " + gt + " grant")
	}
	if len(f.Get("scope")) > maxScopeLen {
		return nil, oautherr.InvalidScope("scope is too long")
	}
	tgr := &oauth2.TokenGenerateRequest{ClientID: client.ID, Request: r}
	is := &issue{now: h.opts.Now(), client: client}
	switch gt {
	case GrantPassword:
		if err := h.password(r, f, is); err != nil {
			return nil, err
		}
		tgr.UserID, tgr.Scope = is.subject, claims.FormatScope(is.refreshScopes)
		return h.run(ctx, is, func(ctx context.Context) (oauth2.TokenInfo, error) {
			return h.engine.GenerateAccessToken(ctx, oauth2.PasswordCredentials, tgr)
		})
	case GrantClientCredentials:
		scopes, err := grantScopes(f.Get("scope"), client.Scopes, nil)
		if err != nil {
			return nil, err
		}
		aud, err := narrowAudience(f["resource"], client.Audience)
		if err != nil {
			return nil, err
		}
		is.subject, is.audience, tgr.Scope = client.ID, aud, claims.FormatScope(scopes)
		return h.run(ctx, is, func(ctx context.Context) (oauth2.TokenInfo, error) {
			return h.engine.GenerateAccessToken(ctx, oauth2.ClientCredentials, tgr)
		})
	default:
		scopes, err := h.refresh(ctx, f, is)
		if err != nil {
			return nil, err
		}
		tgr.Refresh, tgr.Scope = is.presented, claims.FormatScope(scopes)
		return h.run(ctx, is, func(ctx context.Context) (oauth2.TokenInfo, error) {
			return h.engine.RefreshAccessToken(ctx, tgr)
		})
	}
}

// run calls the engine with the decided issue in the context and maps
// its errors.
func (h *Handler) run(ctx context.Context, is *issue, call func(context.Context) (oauth2.TokenInfo, error)) (oauth2.TokenInfo, error) {
	ti, err := call(withIssue(ctx, is))
	if err != nil {
		return nil, h.engineError(err)
	}
	return ti, nil
}

// engineError maps what the engine or the store below it returned.
func (h *Handler) engineError(err error) error {
	var oe *oautherr.Error
	switch {
	case errors.As(err, &oe):
		return oe
	case errors.Is(err, store.ErrTokenReused), errors.Is(err, store.ErrNotFound):
		// Lost a race to rotate the same token: the store has revoked
		// the family, as for any reuse.
		if errors.Is(err, store.ErrTokenReused) && h.opts.Observer != nil {
			h.opts.Observer.RefreshReuseDetected()
		}
		return oautherr.InvalidGrant("the refresh token is invalid, expired or revoked")
	default:
		// The handler checks everything the engine checks before calling
		// it, so an engine error here is a broken invariant.
		return oautherr.Internal(err)
	}
}

// password checks the resource owner's credentials and decides scope,
// audience and refresh family for a password grant.
//
// The user name is normalised (package username) before anything else, so
// look-alike spellings are one account with one failure count. While the
// account is locked out, the password is still compared, so that the
// answer takes as long as usual, but even the right one fails with the
// same invalid_grant as a wrong one.
func (h *Handler) password(r *http.Request, f url.Values, is *issue) error {
	ctx := r.Context()
	rawName, pw := f.Get("username"), f.Get("password")
	if rawName == "" || pw == "" {
		return oautherr.InvalidRequest("username and password are required")
	}
	// Scope and audience are checked against the client before the
	// password, so their errors say nothing about the user.
	if _, err := grantScopes(f.Get("scope"), is.client.Scopes, nil); err != nil {
		return err
	}
	aud, err := narrowAudience(f["resource"], is.client.Audience)
	if err != nil {
		return err
	}
	failed := oautherr.InvalidGrant("invalid username or password")
	if len(rawName) > maxUsernameLen || len(pw) > maxPasswordLen {
		h.loginFailed(r, is.client.ID, "")
		return failed
	}
	name, err := username.Normalize(rawName)
	if err != nil {
		h.loginFailed(r, is.client.ID, "")
		return failed
	}
	locked := h.opts.Throttle != nil && h.opts.Throttle.AccountLocked(name)
	u, err := h.store.GetUser(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u = store.User{} // Verify compares against a dummy hash
	case err != nil:
		return oautherr.Unavailable(err)
	}
	ok, rehash, err := h.passwords.Verify(ctx, u.PasswordHash, pw)
	if err != nil {
		if ctx.Err() != nil {
			return oautherr.Unavailable(ctx.Err())
		}
		return failed
	}
	if locked || !ok || u.Disabled {
		h.loginFailed(r, is.client.ID, name)
		return failed
	}
	if h.opts.Throttle != nil {
		h.opts.Throttle.LoginSucceeded(name)
	}
	if rehash {
		h.rehash(ctx, u.Username, pw)
	}
	scopes, err := grantScopes(f.Get("scope"), is.client.Scopes, u.Scopes)
	if err != nil {
		return err
	}
	is.subject = u.Username
	is.audience = aud
	is.refreshScopes = scopes
	is.refreshAudience = aud
	if slices.Contains(is.client.Grants, GrantRefreshToken) {
		is.refresh = true
		is.family = store.RefreshFamily{
			ID:        rand.Text(),
			ClientID:  is.client.ID,
			Subject:   u.Username,
			CreatedAt: is.now,
			ExpiresAt: is.now.Add(h.opts.RefreshTokenAbsoluteTTL),
		}
		is.refreshExpiry = minTime(is.now.Add(h.opts.RefreshTokenTTL), is.family.ExpiresAt)
	}
	return nil
}

// loginFailed tells the throttle about a failed login.
func (h *Handler) loginFailed(r *http.Request, clientID, name string) {
	if h.opts.Throttle != nil {
		h.opts.Throttle.LoginFailed(r, clientID, name)
	}
}

// rehash upgrades a stored hash to the configured cost after a successful
// login. Failure only delays the upgrade, so it is logged, not returned.
func (h *Handler) rehash(ctx context.Context, username, pw string) {
	hash, err := h.passwords.Hash(ctx, pw)
	if err == nil {
		err = h.store.UpdateUser(ctx, username, func(u store.User) (store.User, error) {
			u.PasswordHash = hash
			return u, nil
		})
	}
	if err != nil {
		h.opts.Logger.WarnContext(ctx, "password rehash failed", "user", username, "err", err)
	}
}

// refresh checks a presented refresh token and decides the rotation.
// It returns the access token's scopes.
func (h *Handler) refresh(ctx context.Context, f url.Values, is *issue) ([]string, error) {
	presented := f.Get("refresh_token")
	if presented == "" {
		return nil, oautherr.InvalidRequest("refresh_token is required")
	}
	invalid := oautherr.InvalidGrant("the refresh token is invalid, expired or revoked")
	if len(presented) > maxRefreshLen {
		return nil, invalid
	}
	id := store.RefreshTokenID(presented)
	t, fam, err := h.store.GetRefreshToken(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, invalid
	case err != nil:
		return nil, oautherr.Unavailable(err)
	}
	if t.ClientID != is.client.ID {
		// Bound to another client: refuse, and leave the grant alone, as
		// the rightful client may still hold it.
		return nil, invalid
	}
	if fam.Revoked() || !is.now.Before(t.ExpiresAt) || !is.now.Before(fam.ExpiresAt) {
		return nil, invalid
	}
	if !t.UsedAt.IsZero() {
		// A rotated token came back: someone holds a copy. Revoke the
		// whole family (RFC 9700 §4.14.2).
		if err := h.store.RevokeRefreshFamily(ctx, fam.ID, is.now); err != nil {
			return nil, oautherr.Unavailable(err)
		}
		h.opts.Logger.WarnContext(ctx, "refresh token reuse detected; grant revoked", "client_id", t.ClientID, "family", fam.ID)
		if h.opts.Observer != nil {
			h.opts.Observer.RefreshReuseDetected()
		}
		return nil, invalid
	}
	u, err := h.store.GetUser(ctx, t.Subject)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, invalid
	case err != nil:
		return nil, oautherr.Unavailable(err)
	}
	if u.Disabled {
		return nil, invalid
	}
	// The access token may narrow the grant's scope, never widen it, and
	// never beyond what the client and user may have today.
	scopes, err := grantScopes(f.Get("scope"), t.Scopes, nil)
	if err != nil {
		return nil, err
	}
	scopes = restrict(within(scopes, is.client.Scopes), u.Scopes)
	aud, err := narrowAudience(f["resource"], t.Audience)
	if err != nil {
		return nil, err
	}
	is.subject = t.Subject
	is.audience = aud
	is.refresh = true
	is.family = fam
	is.rotateFrom = id
	is.presented = presented
	is.refreshScopes = t.Scopes
	is.refreshAudience = t.Audience
	is.accessScopes = scopes
	is.refreshExpiry = minTime(is.now.Add(h.opts.RefreshTokenTTL), fam.ExpiresAt)
	return scopes, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
