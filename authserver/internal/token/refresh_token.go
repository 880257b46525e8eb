package token

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"time"

	"github.com/go-oauth2/oauth2/v4"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/scope"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// maxRefreshLen bounds a presented refresh token, checked before it is
// hashed; the server's are 43 bytes.
const maxRefreshLen = 512

// refreshTokenRequest is a request to refresh an access token (RFC 6749
// §6).
type refreshTokenRequest struct {
	refreshToken string
	scope        string
	resources    []string // RFC 8707
}

func newRefreshTokenRequest(f url.Values) refreshTokenRequest {
	return refreshTokenRequest{refreshToken: f.Get("refresh_token"), scope: f.Get("scope"), resources: f["resource"]}
}

// refreshTokenStore is the part of the store the refresh_token grant
// reads presented tokens and their users from, and revokes reused grants
// in.
type refreshTokenStore interface {
	GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, store.RefreshFamily, error)
	RevokeRefreshFamily(ctx context.Context, id string, now time.Time) error
	GetUser(ctx context.Context, username string) (store.User, error)
}

// invalidRefresh is the one answer to every refresh token that cannot be
// used, whatever the reason.
func invalidRefresh() error {
	return oautherr.InvalidGrant("the refresh token is invalid, expired or revoked")
}

// refreshTokenGrant decides refresh_token grants.
type refreshTokenGrant struct {
	tokens   refreshTokenStore
	logger   *slog.Logger
	observer Observer
	// grace is how long a rotated token may come back as a retry.
	grace time.Duration
}

// decide checks a presented refresh token and decides the rotation: the
// access token's scope and audience, and the successor refresh token in
// the same family, with the grant's original scope.
//
// The refresh token must be bound to the client, unused, unexpired (idle
// and absolute, by now) and its family unrevoked; its user must still
// exist and be enabled. A token that was already rotated comes back when
// its client never received the answer and retries, or when someone else
// holds a copy: within the grace window the rotation is left to tell the
// two apart (a retry while the successor is unused gets that successor
// again); after it, the whole family is revoked (RFC 9700 §4.14.2).
func (g *refreshTokenGrant) decide(ctx context.Context, client store.Client, req refreshTokenRequest, now time.Time) (decision, error) {
	if req.refreshToken == "" {
		return decision{}, oautherr.InvalidRequest("refresh_token is required")
	}
	if len(req.refreshToken) > maxRefreshLen {
		return decision{}, invalidRefresh()
	}
	id := store.RefreshTokenID(req.refreshToken)
	t, fam, err := g.tokens.GetRefreshToken(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return decision{}, invalidRefresh()
	case err != nil:
		return decision{}, oautherr.Unavailable(err)
	}
	if t.ClientID != client.ID {
		// Bound to another client: refuse, and leave the grant alone, as
		// the rightful client may still hold it.
		return decision{}, invalidRefresh()
	}
	if fam.Revoked() || !now.Before(t.ExpiresAt) || !now.Before(fam.ExpiresAt) {
		return decision{}, invalidRefresh()
	}
	if !t.UsedAt.IsZero() && !now.Before(t.UsedAt.Add(g.grace)) {
		if err := g.tokens.RevokeRefreshFamily(ctx, fam.ID, now); err != nil {
			return decision{}, oautherr.Unavailable(err)
		}
		g.logger.WarnContext(ctx, "refresh token reuse detected; grant revoked", "client_id", t.ClientID, "family", fam.ID)
		g.observer.RefreshReuseDetected()
		return decision{}, invalidRefresh()
	}
	u, err := g.tokens.GetUser(ctx, t.Subject)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return decision{}, invalidRefresh()
	case err != nil:
		return decision{}, oautherr.Unavailable(err)
	}
	if u.Disabled {
		return decision{}, invalidRefresh()
	}
	// The access token may narrow the grant's scope, never widen it, and
	// never beyond what the client and the user may have today: an
	// administrator may have taken scopes away since the login.
	scopes, err := scope.Grant(req.scope, t.Scopes, nil)
	if err != nil {
		return decision{}, err
	}
	scopes = scope.Restrict(scope.Within(scopes, client.Scopes), u.Scopes)
	aud, err := scope.Audience(req.resources, t.Audience)
	if err != nil {
		return decision{}, err
	}
	return decision{
		grant:    oauth2.Refreshing,
		client:   client,
		now:      now,
		subject:  t.Subject,
		scopes:   scopes,
		audience: aud,
		refresh: &refreshDecision{
			family:     fam,
			rotateFrom: id,
			presented:  req.refreshToken,
			scopes:     t.Scopes,
			audience:   t.Audience,
			boundTo:    t.JKT,
		},
	}, nil
}
