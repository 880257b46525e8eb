package token

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	oerrors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// issue is what the handler decided about one token request, carried
// through the engine in the request context to the generator and the token
// store below, which the engine calls back.
type issue struct {
	now      time.Time
	client   store.Client
	subject  string
	audience []string
	// refresh: whether to issue a refresh token, in family.
	refresh bool
	family  store.RefreshFamily
	// rotateFrom is the ID of the refresh token being exchanged.
	rotateFrom string
	// the presented refresh token, for the engine's look-up
	presented string
	// refreshScopes and refreshAudience are the grant's: a new refresh
	// token keeps the original scope even when the access token's is
	// narrowed (RFC 6749 §6).
	refreshScopes   []string
	refreshAudience []string
	// accessScopes are the access token's scopes when refreshing.
	accessScopes []string
	// refreshExpiry is the idle expiry of a new refresh token.
	refreshExpiry time.Time
}

type issueKey struct{}

func withIssue(ctx context.Context, is *issue) context.Context {
	return context.WithValue(ctx, issueKey{}, is)
}

var errNoIssue = errors.New("token: engine called outside a token request")

func issueFrom(ctx context.Context) (*issue, error) {
	is, ok := ctx.Value(issueKey{}).(*issue)
	if !ok {
		return nil, errNoIssue
	}
	return is, nil
}

// Signer signs access-token claims with the active key.
type Signer interface {
	Sign(c jwt.Claims) (string, error)
}

// refreshStore is the part of the store the engine writes refresh tokens to.
type refreshStore interface {
	CreateRefreshToken(ctx context.Context, f store.RefreshFamily, t store.RefreshToken) error
	RotateRefreshToken(ctx context.Context, oldID string, now time.Time, next store.RefreshToken) error
}

// newEngine configures a go-oauth2 manager on our generator and stores.
func newEngine(issuer string, accessTTL time.Duration, signer Signer, refreshes refreshStore) *manage.Manager {
	m := manage.NewManager()
	m.SetPasswordTokenCfg(&manage.Config{AccessTokenExp: accessTTL, IsGenerateRefresh: true})
	m.SetClientTokenCfg(&manage.Config{AccessTokenExp: accessTTL})
	m.SetRefreshTokenCfg(&manage.RefreshingConfig{
		AccessTokenExp:    accessTTL,
		IsGenerateRefresh: true,
		// The old refresh token is marked used, atomically with the
		// creation of the new one, by tokenStore.Create; access tokens are
		// self-contained JWTs with nothing to remove.
		IsRemoveAccess:     false,
		IsRemoveRefreshing: false,
	})
	m.MapAccessGenerate(&generator{issuer: issuer, signer: signer})
	m.MapTokenStorage(&tokenStore{refreshes: refreshes})
	m.MapClientStorage(clientStore{})
	return m
}

// generator mints RFC 9068 access tokens and opaque refresh tokens.
type generator struct {
	issuer string
	signer Signer
}

var _ oauth2.AccessGenerate = (*generator)(nil)

func (g *generator) Token(ctx context.Context, data *oauth2.GenerateBasic, _ bool) (string, string, error) {
	is, err := issueFrom(ctx)
	if err != nil {
		return "", "", err
	}
	c := claims.AccessToken{
		Issuer:    g.issuer,
		Subject:   is.subject,
		Audience:  jwt.ClaimStrings(is.audience),
		IssuedAt:  jwt.NewNumericDate(is.now),
		ExpiresAt: jwt.NewNumericDate(is.now.Add(data.TokenInfo.GetAccessExpiresIn())),
		ID:        rand.Text(),
		ClientID:  is.client.ID,
		Scope:     data.TokenInfo.GetScope(),
	}
	if is.refresh {
		c.SessionID = is.family.ID
	}
	access, err := g.signer.Sign(&c)
	if err != nil {
		return "", "", oautherr.Internal(err)
	}
	if !is.refresh {
		return access, "", nil
	}
	return access, newRefreshValue(), nil
}

// newRefreshValue returns 256 random bits, base64url-encoded.
func newRefreshValue() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documentation)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// tokenStore is the engine's token storage: it persists refresh tokens
// (only their hashes) and nothing for access tokens, which are JWTs.
type tokenStore struct {
	refreshes refreshStore
}

var _ oauth2.TokenStore = (*tokenStore)(nil)

func (s *tokenStore) Create(ctx context.Context, ti oauth2.TokenInfo) error {
	if ti.GetRefresh() == "" {
		return nil // client_credentials or no refresh grant: nothing to keep
	}
	is, err := issueFrom(ctx)
	if err != nil {
		return err
	}
	t := store.RefreshToken{
		ID:        store.RefreshTokenID(ti.GetRefresh()),
		FamilyID:  is.family.ID,
		ClientID:  is.client.ID,
		Subject:   is.subject,
		Scopes:    is.refreshScopes,
		Audience:  is.refreshAudience,
		CreatedAt: is.now,
		ExpiresAt: is.refreshExpiry,
	}
	if is.rotateFrom != "" {
		err = s.refreshes.RotateRefreshToken(ctx, is.rotateFrom, is.now, t)
	} else {
		err = s.refreshes.CreateRefreshToken(ctx, is.family, t)
	}
	if err != nil && !errors.Is(err, store.ErrTokenReused) && !errors.Is(err, store.ErrNotFound) {
		return oautherr.Unavailable(err)
	}
	return err
}

// GetByRefresh hands the engine the refresh token the handler has already
// loaded and checked (client binding, expiry, reuse) with its own clock.
func (s *tokenStore) GetByRefresh(ctx context.Context, refresh string) (oauth2.TokenInfo, error) {
	is, err := issueFrom(ctx)
	if err != nil {
		return nil, err
	}
	if is.rotateFrom == "" || refresh != is.presented {
		return nil, oerrors.ErrInvalidRefreshToken
	}
	ti := models.NewToken()
	ti.SetClientID(is.client.ID)
	ti.SetUserID(is.subject)
	// The access token's scope, decided by the handler: the engine keeps
	// this one when the decided scope is empty, so it must not be the
	// grant's.
	ti.SetScope(claims.FormatScope(is.accessScopes))
	ti.SetRefresh(refresh)
	ti.SetRefreshCreateAt(is.now)
	return ti, nil
}

func (s *tokenStore) RemoveByCode(context.Context, string) error    { return nil }
func (s *tokenStore) RemoveByAccess(context.Context, string) error  { return nil }
func (s *tokenStore) RemoveByRefresh(context.Context, string) error { return nil }

func (s *tokenStore) GetByCode(context.Context, string) (oauth2.TokenInfo, error) {
	return nil, oerrors.ErrInvalidAuthorizeCode
}

func (s *tokenStore) GetByAccess(context.Context, string) (oauth2.TokenInfo, error) {
	return nil, oerrors.ErrInvalidAccessToken
}

// clientStore hands the engine the client the handler authenticated; the
// engine never reads clients from storage itself.
type clientStore struct{}

var _ oauth2.ClientStore = clientStore{}

func (clientStore) GetByID(ctx context.Context, id string) (oauth2.ClientInfo, error) {
	is, err := issueFrom(ctx)
	if err != nil {
		return nil, err
	}
	if is.client.ID != id {
		return nil, oerrors.ErrInvalidClient
	}
	return engineClient{is.client}, nil
}

// engineClient presents a stored client to the engine. The handler has
// authenticated the client (clientauth: hashed secrets, constant time)
// before the engine runs, so the engine's own plaintext comparison is
// replaced by that result and the engine never sees a secret.
type engineClient struct{ c store.Client }

var (
	_ oauth2.ClientInfo             = engineClient{}
	_ oauth2.ClientPasswordVerifier = engineClient{}
)

func (e engineClient) GetID() string     { return e.c.ID }
func (e engineClient) GetSecret() string { return "" }
func (e engineClient) GetDomain() string { return "" }
func (e engineClient) IsPublic() bool    { return e.c.Public() }
func (e engineClient) GetUserID() string { return "" }

func (e engineClient) VerifyPassword(string) bool { return true }
