package token

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// decision is what a grant decided about one token request: everything the
// engine needs to assemble the tokens and nothing it must decide itself.
// Each grant (password.go, client_credentials.go, refresh_token.go) returns
// one; the engine runs on it.
type decision struct {
	// grant is the engine's name of the grant, which selects its flow:
	// GenerateAccessToken, or RefreshAccessToken for oauth2.Refreshing.
	grant oauth2.GrantType
	// client is the client that authenticated; the tokens are its.
	client store.Client
	// now is the clock reading of the request: the tokens' issue time and
	// the base of every expiry.
	now time.Time
	// subject is the access token's "sub": the user, or for
	// client_credentials the client itself.
	subject string
	// scopes and audience are the access token's.
	scopes   []string
	audience []string
	// refresh is the refresh token to issue with the access token; nil
	// for none.
	refresh *refreshDecision
	// family is the grant the tokens belong to, when there is one: the
	// refresh token's family, or for an authorization code without
	// refresh token a family of its own, so that the code's second use
	// can revoke its access tokens. Access tokens carry its ID as "sid".
	family *store.RefreshFamily
	// code is the authorization code being exchanged, already consumed
	// by the grant; nil for other grants.
	code *codeExchange
	// idToken is the ID token to issue with the access token; nil for
	// none.
	idToken *idTokenDecision
	// newCode is the authorization code to issue (at the authorization
	// endpoint) instead of tokens; its ID comes from the code made.
	newCode *store.AuthCode
	// sid is the "sid" of a token made without a grant of its own: for
	// token exchange, the subject token's grant.
	sid string
	// actor is the "act" claim of an exchanged token.
	actor *claims.Actor
	// accessTTL, when not zero, is the access token's lifetime instead of
	// the configured one: an exchanged token lives no longer than its
	// subject token.
	accessTTL time.Duration
	// exchanged marks a token exchange, whose answer names the issued
	// token's type (RFC 8693 §2.2.1).
	exchanged bool
	// jkt is the thumbprint of the DPoP key the tokens are bound to
	// (RFC 9449 §5); "" for bearer tokens.
	jkt string
}

// codeExchange is an authorization code presented at the token endpoint.
type codeExchange struct {
	value       string
	record      store.AuthCode
	redirectURI string // as the token request gave it
	verifier    string
}

// familyID is the ID of the decision's grant, "" for none.
func (d *decision) familyID() string {
	switch {
	case d.refresh != nil:
		return d.refresh.family.ID
	case d.family != nil:
		return d.family.ID
	}
	return d.sid
}

// refreshDecision is a refresh token to issue: the first of a new family,
// or, when rotateFrom is set, the successor of a presented one.
type refreshDecision struct {
	family store.RefreshFamily
	// rotateFrom is the ID of the refresh token being exchanged; its
	// value, which the engine looks up, is presented.
	rotateFrom string
	presented  string
	// scopes and audience are the grant's: a new refresh token keeps the
	// original scope even when the access token's is narrowed (RFC 6749
	// §6).
	scopes   []string
	audience []string
	// boundTo is the DPoP key thumbprint the presented refresh token is
	// bound to; jkt the one the new refresh token is bound to.
	boundTo, jkt string
}

// errDisabledPath is returned by every part of the engine's storage that
// fastsafe does not use. The handler answers it with a logged 500
// server_error: if the engine ever takes such a path, the request fails
// rather than silently succeeding.
var errDisabledPath = errors.New("token: the engine reached a path fastsafe disabled")

func disabled(what string) error { return fmt.Errorf("%w: %s", errDisabledPath, what) }

// Signer signs access-token claims with the active key.
type Signer interface {
	Sign(c jwt.Claims) (string, error)
	IDTokenSigner
}

// refreshWriter is the part of the store the engine writes grants,
// refresh tokens and authorization codes to.
type refreshWriter interface {
	CreateRefreshToken(ctx context.Context, f store.RefreshFamily, t store.RefreshToken) error
	CreateRefreshFamily(ctx context.Context, f store.RefreshFamily) error
	RotateRefreshToken(ctx context.Context, oldID string, now time.Time, next store.RefreshToken, grace time.Duration) (bool, error)
	CreateAuthCode(ctx context.Context, c store.AuthCode) error
}

// engine runs decisions on the go-oauth2 manager (manage.Manager). The
// manager's callbacks (ClientStore.GetByID, AccessGenerate.Token,
// TokenStore.GetByRefresh and Create) receive only a context and a string
// or a TokenInfo the manager built itself, so a manager shared by all
// requests could learn the request's decision only from the context.
// Instead each request gets a manager of its own, bound to its decision:
// a few small allocations, against the signature every token costs (see
// BenchmarkEngineBind).
type engine struct {
	issuer    string
	signer    Signer
	refreshes refreshWriter
	retry     refreshRetry
	// retried is told of each rotation that was a retry.
	retried func()
	// The manager's token configurations, shared by the managers of all
	// requests and never changed: the manager sets the access token's
	// lifetime and the refresh token's idle lifetime from them.
	passwordCfg, passwordRefreshCfg, clientCfg *manage.Config
	codeCfg, codeRefreshCfg                    *manage.Config
	refreshCfg                                 *manage.RefreshingConfig
}

func newEngine(issuer string, accessTTL, refreshTTL time.Duration, signer Signer, refreshes refreshWriter, retry refreshRetry, retried func()) *engine {
	return &engine{
		issuer:             issuer,
		signer:             signer,
		refreshes:          refreshes,
		retry:              retry,
		retried:            retried,
		passwordCfg:        &manage.Config{AccessTokenExp: accessTTL},
		passwordRefreshCfg: &manage.Config{AccessTokenExp: accessTTL, RefreshTokenExp: refreshTTL, IsGenerateRefresh: true},
		clientCfg:          &manage.Config{AccessTokenExp: accessTTL},
		codeCfg:            &manage.Config{AccessTokenExp: accessTTL},
		codeRefreshCfg:     &manage.Config{AccessTokenExp: accessTTL, RefreshTokenExp: refreshTTL, IsGenerateRefresh: true},
		refreshCfg: &manage.RefreshingConfig{
			AccessTokenExp:    accessTTL,
			RefreshTokenExp:   refreshTTL,
			IsGenerateRefresh: true,
			// The old refresh token is marked used by the store,
			// atomically with the creation of the new one (tokenStore's
			// Create); access tokens are self-contained JWTs with nothing
			// to remove. Either removal would reach a disabled path.
			IsRemoveAccess:     false,
			IsRemoveRefreshing: false,
		},
	}
}

// issue runs d through the engine for the request r, whose client
// clientauth authenticated as authenticated (a client ID).
func (e *engine) issue(ctx context.Context, r *http.Request, authenticated string, d *decision) (oauth2.TokenInfo, error) {
	m := e.bind(d, authenticated)
	tgr := &oauth2.TokenGenerateRequest{
		ClientID: d.client.ID,
		UserID:   d.subject,
		Scope:    claims.FormatScope(d.scopes),
		Request:  r,
		// The manager takes a request's own lifetime over its
		// configuration's.
		AccessTokenExp: d.accessTTL,
	}
	switch d.grant {
	case oauth2.Refreshing:
		if d.refresh == nil {
			return nil, disabled("a refresh_token grant without a refresh token")
		}
		tgr.Refresh = d.refresh.presented
		return m.RefreshAccessToken(ctx, tgr)
	case oauth2.AuthorizationCode:
		if d.code == nil {
			return nil, disabled("an authorization_code grant without a code")
		}
		// The manager takes the code's client, subject and scope from
		// the code itself (GetByCode), and checks the redirect URI and
		// the PKCE verifier against it.
		tgr.Code = d.code.value
		tgr.RedirectURI = d.code.redirectURI
		tgr.CodeVerifier = d.code.verifier
	}
	return m.GenerateAccessToken(ctx, d.grant, tgr)
}

// issueCode runs the authorization endpoint's decision c through the
// engine for client: the manager checks the redirect URI against the
// client's registered ones and assembles the code (client, subject,
// redirect URI, scope, PKCE challenge, lifetime); the code generator makes
// its value and the token store keeps its hash with the rest of c.
func (e *engine) issueCode(ctx context.Context, r *http.Request, client store.Client, c store.AuthCode) (string, error) {
	if c.CodeChallenge == "" {
		return "", disabled("an authorization code without a PKCE challenge")
	}
	d := &decision{
		client:   client,
		now:      c.CreatedAt,
		subject:  c.Subject,
		scopes:   c.Scopes,
		audience: c.Audience,
		newCode:  &c,
	}
	m := e.bind(d, "")
	m.SetAuthorizeCodeExp(c.ExpiresAt.Sub(c.CreatedAt))
	ti, err := m.GenerateAuthToken(ctx, oauth2.Code, &oauth2.TokenGenerateRequest{
		ClientID:            client.ID,
		UserID:              c.Subject,
		RedirectURI:         c.RedirectURI,
		Scope:               claims.FormatScope(c.Scopes),
		CodeChallenge:       c.CodeChallenge,
		CodeChallengeMethod: oauth2.CodeChallengeS256,
		Request:             r,
	})
	if err != nil {
		return "", err
	}
	return ti.GetCode(), nil
}

// bind returns a manager whose callbacks serve d and nothing else.
//
// The manager's unsafe defaults are replaced: redirect URIs are matched
// exactly (validateRedirectURI, not go-oauth2's DefaultValidateURI, which
// accepts any host ending in the registered one), and its plaintext client
// secret comparison is replaced by clientauth's result (engineClient).
//
// The authorization_code grant adds its code storage here: the code
// generator for /authorize (GenerateAuthToken) and the TokenStore's
// GetByCode and RemoveByCode, through which the manager checks the code's
// client, redirect URI and PKCE challenge. GetByCode must hand the manager
// the code the grant has loaded and checked, with its challenge method set
// (the manager takes an empty one for "plain"), and the manager checks the
// code's expiry against its own time.Now, as it does nowhere else we let
// it run.
func (e *engine) bind(d *decision, authenticated string) *manage.Manager {
	b := &binding{engine: e, d: d, authenticated: authenticated}
	m := manage.NewManager()
	switch d.grant {
	case oauth2.PasswordCredentials:
		cfg := e.passwordCfg
		if d.refresh != nil {
			cfg = e.passwordRefreshCfg
		}
		m.SetPasswordTokenCfg(cfg)
	case oauth2.ClientCredentials:
		m.SetClientTokenCfg(e.clientCfg)
	case oauth2.Refreshing:
		m.SetRefreshTokenCfg(e.refreshCfg)
	case oauth2.AuthorizationCode:
		cfg := e.codeCfg
		if d.refresh != nil {
			cfg = e.codeRefreshCfg
		}
		m.SetAuthorizeCodeTokenCfg(cfg)
	}
	m.SetValidateURIHandler(validateRedirectURI)
	if d.newCode != nil {
		m.MapAuthorizeGenerate(codeGenerator{b})
	} else {
		m.MapAuthorizeGenerate(disabledCodes{})
	}
	m.MapAccessGenerate(generator{b})
	m.MapTokenStorage(tokenStore{b})
	m.MapClientStorage(clientStore{b})
	return m
}

// binding is one request's decision, as the manager's callbacks see it.
type binding struct {
	*engine
	d *decision
	// authenticated is the ID of the client clientauth authenticated.
	authenticated string
}

// generator mints RFC 9068 access tokens and opaque refresh tokens from
// the token the manager assembled (client, subject, scope, lifetimes) and
// the decision (audience, grant), at the decision's clock reading: the
// manager reads time.Now itself, and that reading is not used.
type generator struct{ *binding }

var _ oauth2.AccessGenerate = generator{}

func (g generator) Token(_ context.Context, data *oauth2.GenerateBasic, genRefresh bool) (string, string, error) {
	d := g.d
	if genRefresh != (d.refresh != nil) {
		return "", "", disabled("a refresh token the grant did not decide")
	}
	ti := data.TokenInfo
	c := claims.AccessToken{
		Issuer:    g.issuer,
		Subject:   ti.GetUserID(),
		Audience:  jwt.ClaimStrings(d.audience),
		IssuedAt:  jwt.NewNumericDate(d.now),
		ExpiresAt: jwt.NewNumericDate(d.now.Add(ti.GetAccessExpiresIn())),
		ID:        rand.Text(),
		ClientID:  ti.GetClientID(),
		Scope:     ti.GetScope(),
	}
	c.SessionID = d.familyID()
	c.Actor = d.actor
	if d.jkt != "" {
		c.Confirmation = &claims.Confirmation{JKT: d.jkt}
	}
	access, err := g.signer.Sign(&c)
	if err != nil {
		return "", "", oautherr.Internal(err)
	}
	switch {
	case !genRefresh:
		return access, "", nil
	case d.refresh.rotateFrom != "":
		return access, g.retry.successor(d.refresh.presented), nil
	}
	return access, newRefreshValue(), nil
}

// newRefreshValue returns 256 random bits, base64url-encoded.
func newRefreshValue() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documentation)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// tokenStore is the manager's token storage: it keeps refresh tokens (only
// their hashes, rotated atomically by the store) and nothing for access
// tokens, which are JWTs. What it does not do fails with errDisabledPath.
type tokenStore struct{ *binding }

var _ oauth2.TokenStore = tokenStore{}

// Create stores the refresh token the manager generated, as the decision
// says: a new family, or the successor of the presented token, which a
// retry within the grace window finds stored already (refreshRetry). Its
// idle expiry is the manager's refresh lifetime from the decision's clock
// reading, never after the family's absolute expiry.
func (s tokenStore) Create(ctx context.Context, ti oauth2.TokenInfo) error {
	d := s.d
	switch {
	case ti.GetCode() != "" && ti.GetAccess() == "":
		return s.createCode(ctx, ti)
	case ti.GetCode() != "":
		return disabled("TokenStore.Create of tokens with a code")
	case d.refresh == nil && ti.GetRefresh() == "":
		if d.family != nil {
			// A grant without refresh token: kept so that it can be
			// revoked with its access tokens.
			if err := s.refreshes.CreateRefreshFamily(ctx, *d.family); err != nil {
				return oautherr.Unavailable(err)
			}
		}
		return nil
	case d.refresh == nil || ti.GetRefresh() == "":
		return disabled("TokenStore.Create of a refresh token the grant did not decide")
	}
	fam := d.refresh.family
	t := store.RefreshToken{
		ID:        store.RefreshTokenID(ti.GetRefresh()),
		FamilyID:  fam.ID,
		ClientID:  d.client.ID,
		Subject:   d.subject,
		Scopes:    d.refresh.scopes,
		Audience:  d.refresh.audience,
		CreatedAt: d.now,
		ExpiresAt: minTime(d.now.Add(ti.GetRefreshExpiresIn()), fam.ExpiresAt),
		JKT:       d.refresh.jkt,
	}
	var err error
	if d.refresh.rotateFrom != "" {
		var retried bool
		retried, err = s.refreshes.RotateRefreshToken(ctx, d.refresh.rotateFrom, d.now, t, s.retry.grace)
		if retried {
			s.retried()
		}
	} else {
		err = s.refreshes.CreateRefreshToken(ctx, fam, t)
	}
	if err != nil && !errors.Is(err, store.ErrTokenReused) && !errors.Is(err, store.ErrNotFound) {
		return oautherr.Unavailable(err)
	}
	return err
}

// GetByRefresh hands the manager the refresh token the grant has already
// loaded and checked (client binding, expiry, reuse) with its own clock,
// carrying the access token's decided scope. Its lifetime is left zero, so
// that the manager's own expiry check, on its own clock, is skipped.
func (s tokenStore) GetByRefresh(_ context.Context, refresh string) (oauth2.TokenInfo, error) {
	d := s.d
	if d.refresh == nil || d.refresh.rotateFrom == "" || refresh != d.refresh.presented {
		return nil, disabled("TokenStore.GetByRefresh of a token the grant did not load")
	}
	ti := models.NewToken()
	ti.SetClientID(d.client.ID)
	ti.SetUserID(d.subject)
	ti.SetScope(claims.FormatScope(d.scopes))
	ti.SetRefresh(refresh)
	ti.SetRefreshCreateAt(d.now)
	return ti, nil
}

// createCode stores the authorization code the manager assembled: its
// hash, with the decision's, and the manager's lifetime from the
// decision's clock reading.
func (s tokenStore) createCode(ctx context.Context, ti oauth2.TokenInfo) error {
	c := s.d.newCode
	if c == nil || ti.GetClientID() != s.d.client.ID || ti.GetRedirectURI() != c.RedirectURI ||
		ti.GetCodeChallenge() != c.CodeChallenge || ti.GetCodeChallengeMethod() != oauth2.CodeChallengeS256 {
		return disabled("TokenStore.Create of a code the authorization endpoint did not decide")
	}
	rec := *c
	rec.ID = store.RefreshTokenID(ti.GetCode())
	rec.ExpiresAt = s.d.now.Add(ti.GetCodeExpiresIn())
	if err := s.refreshes.CreateAuthCode(ctx, rec); err != nil {
		return oautherr.Unavailable(err)
	}
	return nil
}

// GetByCode hands the manager the code the grant has consumed and
// checked, with its S256 challenge, for the manager to check the client,
// the redirect URI and the PKCE verifier. The code's remaining lifetime,
// by the decision's clock, is given from the manager's own time.Now, on
// which the manager checks it.
func (s tokenStore) GetByCode(_ context.Context, code string) (oauth2.TokenInfo, error) {
	d := s.d
	if d.code == nil || code != d.code.value {
		return nil, disabled("TokenStore.GetByCode of a code the grant did not consume")
	}
	rec := d.code.record
	ti := models.NewToken()
	ti.SetClientID(rec.ClientID)
	ti.SetUserID(rec.Subject)
	ti.SetRedirectURI(rec.RedirectURI)
	ti.SetScope(claims.FormatScope(d.scopes))
	ti.SetCode(code)
	ti.SetCodeCreateAt(time.Now())
	ti.SetCodeExpiresIn(rec.ExpiresAt.Sub(d.now))
	ti.SetCodeChallenge(rec.CodeChallenge)
	ti.SetCodeChallengeMethod(oauth2.CodeChallengeS256)
	return ti, nil
}

// RemoveByCode is the manager deleting the code it was handed: the grant
// consumed it in the store, atomically, before the manager ran.
func (s tokenStore) RemoveByCode(_ context.Context, code string) error {
	if s.d.code == nil || code != s.d.code.value {
		return disabled("TokenStore.RemoveByCode of a code the grant did not consume")
	}
	return nil
}

func (tokenStore) RemoveByAccess(context.Context, string) error {
	return disabled("TokenStore.RemoveByAccess")
}

func (tokenStore) RemoveByRefresh(context.Context, string) error {
	return disabled("TokenStore.RemoveByRefresh")
}

func (tokenStore) GetByAccess(context.Context, string) (oauth2.TokenInfo, error) {
	return nil, disabled("TokenStore.GetByAccess")
}

// codeGenerator makes the value of the authorization code the
// authorization endpoint decided: 256 random bits, base64url.
type codeGenerator struct{ *binding }

var _ oauth2.AuthorizeGenerate = codeGenerator{}

func (g codeGenerator) Token(context.Context, *oauth2.GenerateBasic) (string, error) {
	if g.d.newCode == nil {
		return "", disabled("AuthorizeGenerate.Token without a code to issue")
	}
	return newRefreshValue(), nil
}

// disabledCodes is the manager's authorization code generator for token
// requests, which never make a code.
type disabledCodes struct{}

var _ oauth2.AuthorizeGenerate = disabledCodes{}

func (disabledCodes) Token(context.Context, *oauth2.GenerateBasic) (string, error) {
	return "", disabled("AuthorizeGenerate.Token")
}

// clientStore hands the manager the decision's client; the manager never
// reads clients from storage itself.
type clientStore struct{ *binding }

var _ oauth2.ClientStore = clientStore{}

func (s clientStore) GetByID(_ context.Context, id string) (oauth2.ClientInfo, error) {
	if id != s.d.client.ID {
		return nil, disabled("ClientStore.GetByID of another client")
	}
	return engineClient{c: s.d.client, authenticated: s.authenticated == id}, nil
}

// engineClient presents a stored client to the manager. The manager's
// own check of the client secret compares plaintext; it is replaced by
// clientauth's result (hashed secrets, constant time), and the manager is
// never given a secret.
type engineClient struct {
	c store.Client
	// authenticated: clientauth authenticated this client for the request.
	authenticated bool
}

var (
	_ oauth2.ClientInfo             = engineClient{}
	_ oauth2.ClientPasswordVerifier = engineClient{}
)

func (e engineClient) GetID() string     { return e.c.ID }
func (e engineClient) GetSecret() string { return "" }
func (e engineClient) IsPublic() bool    { return e.c.Public() }
func (e engineClient) GetUserID() string { return "" }

// GetDomain gives the manager's redirect URI check (validateRedirectURI)
// the client's registered redirect URIs, separated by spaces.
func (e engineClient) GetDomain() string { return strings.Join(e.c.RedirectURIs, " ") }

// VerifyPassword reports whether clientauth authenticated the client for
// this request. presented is what the manager was given as the secret:
// always empty, as the manager never sees one.
func (e engineClient) VerifyPassword(presented string) bool {
	return e.authenticated && presented == ""
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
