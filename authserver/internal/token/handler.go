package token

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	oerrors "github.com/go-oauth2/oauth2/v4/errors"

	"github.com/fastsafe/fastsafe/authserver/internal/form"
	"github.com/fastsafe/fastsafe/authserver/internal/login"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/reqlog"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// Grant types, as sent in grant_type and stored in store.Client.Grants.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantPassword          = "password"
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

// maxScopeLen bounds the scope parameter of every grant, checked before
// any work is done on it.
const maxScopeLen = 2048

// Store is what the token endpoint reads and writes: the union of what
// its grants and its engine need.
type Store interface {
	login.Users
	MarkClientUsed(ctx context.Context, id string, now time.Time) error
	authorizationCodeStore
	refreshTokenStore
	refreshWriter
}

// ClientAuthenticator authenticates the client of a request.
type ClientAuthenticator interface {
	Authenticate(ctx context.Context, r *http.Request, form url.Values, confidentialOnly bool) (store.Client, error)
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
	// RefreshTokenGrace is how long after a rotation the client may
	// present the rotated refresh token again, as it does when the answer
	// was lost, and get the same successor; zero makes every second use
	// reuse, which revokes the grant.
	RefreshTokenGrace time.Duration
	// RefreshSuccessorKey is the server secret successor refresh tokens
	// are derived with, so that a retry gets the same one; without it
	// successors are random and no retry is possible.
	RefreshSuccessorKey []byte
	Now                 func() time.Time
	Logger              *slog.Logger
	// Throttle limits password guessing; nil means no limit.
	Throttle login.Throttle
	// Observer is told of issued tokens, errors and refresh token reuse,
	// for metrics; nil means nobody is told.
	Observer Observer
	// SubjectTokens checks the tokens presented for exchange; nil turns
	// token exchange off.
	SubjectTokens SubjectTokens
	// DPoP checks the DPoP proofs of token requests; nil refuses them.
	DPoP ProofVerifier
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
	// RefreshRetried: a rotated refresh token came back within the grace
	// window; it got its successor again.
	RefreshRetried()
	// CodeReuseDetected: an authorization code came back; the grant its
	// first use started was revoked.
	CodeReuseDetected()
}

// Handler serves POST /token.
type Handler struct {
	opts     Options
	clients  ClientAuthenticator
	code     *authorizationCodeGrant
	password *passwordGrant
	refresh  *refreshTokenGrant
	exchange *tokenExchangeGrant
	engine   *engine
	// clientsUsed records registered clients' first tokens.
	clientsUsed interface {
		MarkClientUsed(ctx context.Context, id string, now time.Time) error
	}
}

// NewHandler returns the token endpoint.
func NewHandler(opts Options, st Store, clients ClientAuthenticator, passwords login.Passwords, signer Signer) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	return &Handler{
		opts:        opts,
		clients:     clients,
		clientsUsed: st,
		code: &authorizationCodeGrant{
			codes:     st,
			logger:    opts.Logger,
			observer:  opts.Observer,
			familyTTL: opts.RefreshTokenAbsoluteTTL,
		},
		password: &passwordGrant{
			logins:    login.NewChecker(st, passwords, opts.Throttle, opts.Logger),
			familyTTL: opts.RefreshTokenAbsoluteTTL,
		},
		refresh:  &refreshTokenGrant{tokens: st, logger: opts.Logger, observer: opts.Observer, grace: opts.RefreshTokenGrace},
		exchange: &tokenExchangeGrant{tokens: opts.SubjectTokens, accessTTL: opts.AccessTokenTTL},
		engine: newEngine(opts.Issuer, opts.AccessTokenTTL, opts.RefreshTokenTTL, signer, st,
			refreshRetry{grace: opts.RefreshTokenGrace, key: opts.RefreshSuccessorKey}, opts.Observer.RefreshRetried),
	}
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var grant string
	ti, d, idToken, err := h.serve(w, r, &grant)
	if err != nil {
		h.opts.Observer.TokenError("token", oautherr.From(err).Code)
		oautherr.WriteContext(r.Context(), w, h.opts.Logger, err)
		return
	}
	h.opts.Observer.TokenIssued(grant, ti.GetClientID())
	hd := w.Header()
	hd.Set("Content-Type", "application/json;charset=UTF-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	if h.opts.DPoP != nil {
		if n := h.opts.DPoP.Nonce(); n != "" {
			hd.Set("DPoP-Nonce", n)
		}
	}
	resp := response{
		AccessToken:  ti.GetAccess(),
		TokenType:    "Bearer",
		ExpiresIn:    int64(ti.GetAccessExpiresIn() / time.Second),
		RefreshToken: ti.GetRefresh(),
		Scope:        ti.GetScope(),
		IDToken:      idToken,
	}
	if d.jkt != "" {
		resp.TokenType = "DPoP"
	}
	if d.exchanged {
		resp.IssuedTokenType = TokenTypeAccessToken
	}
	resp.write(w)
}

// IssueCode issues the authorization code the authorization endpoint
// decided, c without its ID, for client, through the same engine as the
// tokens it is exchanged for. It returns the code.
func (h *Handler) IssueCode(ctx context.Context, r *http.Request, client store.Client, c store.AuthCode) (string, error) {
	return h.engine.issueCode(ctx, r, client, c)
}

// serve parses the request, authenticates its client, lets the grant
// decide and the engine issue. It sets *grant to the grant type once it
// is known to be one of those supported.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, grant *string) (oauth2.TokenInfo, decision, string, error) {
	ti, d, err := h.decideAndIssue(w, r, grant)
	if err != nil || d.idToken == nil {
		return ti, d, "", err
	}
	idToken, err := h.engine.mintIDToken(&d, ti)
	if err != nil {
		return nil, d, "", err
	}
	return ti, d, idToken, nil
}

// decideAndIssue runs the request's grant and the engine on its decision.
func (h *Handler) decideAndIssue(w http.ResponseWriter, r *http.Request, grant *string) (oauth2.TokenInfo, decision, error) {
	f, err := form.Parse(w, r, "resource", "audience")
	if err != nil {
		return nil, decision{}, err
	}
	ctx := r.Context()
	gt := f.Get("grant_type")
	switch gt {
	case "":
		return nil, decision{}, oautherr.InvalidRequest("grant_type is required")
	case GrantAuthorizationCode, GrantPassword, GrantClientCredentials, GrantRefreshToken:
	case GrantTokenExchange:
		if h.exchange.tokens == nil {
			return nil, decision{}, oautherr.UnsupportedGrantType("token exchange is not enabled")
		}
	default:
		return nil, decision{}, oautherr.UnsupportedGrantType("grant_type must be authorization_code, password, client_credentials, refresh_token or " + GrantTokenExchange)
	}
	*grant = gt
	client, err := h.clients.Authenticate(ctx, r, f, gt == GrantClientCredentials || gt == GrantTokenExchange)
	if err != nil {
		return nil, decision{}, err
	}
	reqlog.SetClientID(ctx, client.ID)
	if !slices.Contains(client.Grants, gt) {
		return nil, decision{}, oautherr.UnauthorizedClient("the client may not use the " + gt + " grant")
	}
	if len(f.Get("scope")) > maxScopeLen {
		return nil, decision{}, oautherr.InvalidScope("scope is too long")
	}
	jkt, err := h.dpopKey(r)
	if err != nil {
		return nil, decision{}, err
	}
	now := h.opts.Now()
	var d decision
	switch gt {
	case GrantAuthorizationCode:
		d, err = h.code.decide(ctx, client, newAuthorizationCodeRequest(f), now)
	case GrantPassword:
		d, err = h.password.decide(ctx, client, newPasswordRequest(r, f), now)
	case GrantClientCredentials:
		d, err = decideClientCredentials(client, newClientCredentialsRequest(f), now)
	case GrantRefreshToken:
		d, err = h.refresh.decide(ctx, client, newRefreshTokenRequest(f), now)
	case GrantTokenExchange:
		d, err = h.exchange.decide(ctx, client, newTokenExchangeRequest(f), now)
	default:
		err = oautherr.Internal(fmt.Errorf("token: no flow for grant type %q", gt))
	}
	if err == nil {
		err = bindRefresh(&d, client, jkt)
	}
	if err != nil {
		return nil, decision{}, err
	}
	ti, err := h.engine.issue(ctx, r, client.ID, &d)
	if err != nil {
		return nil, decision{}, h.engineError(err)
	}
	h.markUsed(ctx, client, now)
	return ti, d, nil
}

// markUsed records a registered client's first token, which keeps it from
// expiring as unused. Failing only delays that, so it is logged.
func (h *Handler) markUsed(ctx context.Context, client store.Client, now time.Time) {
	if !client.Registered() || !client.FirstUsedAt.IsZero() {
		return
	}
	if err := h.clientsUsed.MarkClientUsed(ctx, client.ID, now); err != nil {
		h.opts.Logger.WarnContext(ctx, "recording a registered client's first use failed", "client_id", client.ID, "err", err)
	}
}

// engineError maps what the engine or the store below it returned.
func (h *Handler) engineError(err error) error {
	var oe *oautherr.Error
	switch {
	case errors.As(err, &oe):
		return oe
	case errors.Is(err, oerrors.ErrInvalidCodeChallenge), errors.Is(err, oerrors.ErrMissingCodeVerifier),
		errors.Is(err, oerrors.ErrInvalidAuthorizeCode), errors.Is(err, oerrors.ErrInvalidRedirectURI):
		// The engine's own checks of the code: its PKCE verifier (RFC
		// 7636 §4.6), client, redirect URI and expiry, which the grant
		// checked before.
		return invalidCode()
	case errors.Is(err, store.ErrTokenReused), errors.Is(err, store.ErrNotFound):
		// Lost a race to rotate the same token: the store has revoked
		// the family, as for any reuse.
		if errors.Is(err, store.ErrTokenReused) {
			h.opts.Observer.RefreshReuseDetected()
		}
		return invalidRefresh()
	default:
		// The grants check everything the engine checks before it runs,
		// and the engine's disabled paths (errDisabledPath) are never
		// taken: an engine error here is a broken invariant.
		return oautherr.Internal(err)
	}
}

// noObserver is the Observer of an endpoint nobody observes.
type noObserver struct{}

func (noObserver) TokenIssued(string, string) {}
func (noObserver) TokenError(string, string)  {}
func (noObserver) RefreshReuseDetected()      {}
func (noObserver) RefreshRetried()            {}
func (noObserver) CodeReuseDetected()         {}
