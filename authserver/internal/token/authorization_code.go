package token

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"github.com/go-oauth2/oauth2/v4"

	"github.com/fastsafe/fastsafe/authserver/internal/idtoken"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/scope"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// Limits of the authorization_code grant's parameters.
const (
	// maxCodeLen bounds a presented code, checked before it is hashed;
	// the server's are 43 bytes.
	maxCodeLen = 512
	// A PKCE code verifier is 43 to 128 unreserved characters (RFC 7636
	// §4.1).
	minVerifierLen, maxVerifierLen = 43, 128
)

// authorizationCodeRequest is an access token request with an
// authorization code (RFC 6749 §4.1.3, RFC 7636 §4.5).
type authorizationCodeRequest struct {
	code        string
	redirectURI string
	verifier    string
	resources   []string // RFC 8707
}

func newAuthorizationCodeRequest(f url.Values) authorizationCodeRequest {
	return authorizationCodeRequest{
		code:        f.Get("code"),
		redirectURI: f.Get("redirect_uri"),
		verifier:    f.Get("code_verifier"),
		resources:   f["resource"],
	}
}

// authorizationCodeStore is the part of the store the grant consumes
// codes in and checks their session and user in.
type authorizationCodeStore interface {
	ConsumeAuthCode(ctx context.Context, id string, now time.Time) (store.AuthCode, error)
	GetSession(ctx context.Context, id string) (store.Session, error)
	GetUser(ctx context.Context, username string) (store.User, error)
}

// invalidCode is the one answer to every code that cannot be used, and to
// every PKCE verifier that does not match: none of them tells why.
func invalidCode() error {
	return oautherr.InvalidGrant("the authorization code is invalid, expired or used, or the code_verifier does not match")
}

// authorizationCodeGrant decides authorization_code grants.
type authorizationCodeGrant struct {
	codes    authorizationCodeStore
	logger   *slog.Logger
	observer Observer
	// familyTTL is the absolute lifetime of the grant a code starts.
	familyTTL time.Duration
}

// decide consumes the presented code and decides the tokens it yields.
//
// The code is consumed first, atomically: of any number of concurrent
// exchanges one wins, and a second use revokes the grant the first
// started, with every token issued from it (RFC 6749 §4.1.2). The code
// must have been issued to this client, for this redirect URI, be
// unexpired by now, and its session and user must still be there. The
// PKCE verifier is checked by the engine against the code's S256
// challenge.
func (g *authorizationCodeGrant) decide(ctx context.Context, client store.Client, req authorizationCodeRequest, now time.Time) (decision, error) {
	switch {
	case req.code == "":
		return decision{}, oautherr.InvalidRequest("code is required")
	case req.redirectURI == "":
		return decision{}, oautherr.InvalidRequest("redirect_uri is required")
	case len(req.code) > maxCodeLen:
		return decision{}, invalidCode()
	case !validVerifier(req.verifier):
		// Refused before the code is consumed: a client that forgot the
		// verifier can still retry with it.
		return decision{}, invalidCode()
	}
	rec, err := g.codes.ConsumeAuthCode(ctx, store.RefreshTokenID(req.code), now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return decision{}, invalidCode()
	case errors.Is(err, store.ErrTokenReused):
		g.logger.WarnContext(ctx, "authorization code used twice; its grant was revoked", "client_id", client.ID, "family", rec.FamilyID)
		g.observer.CodeReuseDetected()
		return decision{}, invalidCode()
	case err != nil:
		return decision{}, oautherr.Unavailable(err)
	}
	if rec.ClientID != client.ID || rec.RedirectURI != req.redirectURI || !now.Before(rec.ExpiresAt) {
		return decision{}, invalidCode()
	}
	sess, err := g.codes.GetSession(ctx, rec.SessionID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return decision{}, invalidCode() // signed out since
	case err != nil:
		return decision{}, oautherr.Unavailable(err)
	}
	if !now.Before(sess.ExpiresAt) || sess.Subject != rec.Subject {
		return decision{}, invalidCode()
	}
	u, err := g.codes.GetUser(ctx, rec.Subject)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return decision{}, invalidCode()
	case err != nil:
		return decision{}, oautherr.Unavailable(err)
	}
	if u.Disabled {
		return decision{}, invalidCode()
	}
	aud, err := scope.Audience(req.resources, rec.Audience)
	if err != nil {
		return decision{}, err
	}
	family := store.RefreshFamily{
		ID:        rec.FamilyID,
		ClientID:  client.ID,
		Subject:   rec.Subject,
		CreatedAt: now,
		ExpiresAt: now.Add(g.familyTTL),
	}
	d := decision{
		grant:    oauth2.AuthorizationCode,
		client:   client,
		now:      now,
		subject:  rec.Subject,
		scopes:   rec.Scopes,
		audience: aud,
		code:     &codeExchange{value: req.code, record: rec, redirectURI: req.redirectURI, verifier: req.verifier},
		family:   &family,
	}
	if slices.Contains(client.Grants, GrantRefreshToken) {
		d.refresh = &refreshDecision{family: family, scopes: rec.Scopes, audience: aud}
	}
	if slices.Contains(rec.Scopes, idtoken.ScopeOpenID) {
		d.idToken = &idTokenDecision{
			nonce:     rec.Nonce,
			authTime:  rec.AuthTime,
			sessionID: rec.SessionID,
			profile:   idtoken.ProfileOf(u, rec.Scopes),
		}
	}
	return d, nil
}

// validVerifier reports whether v is a well-formed PKCE code verifier:
// 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1).
func validVerifier(v string) bool {
	if len(v) < minVerifierLen || len(v) > maxVerifierLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}
