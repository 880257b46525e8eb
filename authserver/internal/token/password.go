package token

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-oauth2/oauth2/v4"

	"github.com/fastsafe/fastsafe/authserver/internal/login"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/scope"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
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

// passwordGrant decides password grants.
type passwordGrant struct {
	// logins checks the credentials, as the sign-in page does, with the
	// same limits on guessing.
	logins *login.Checker
	// familyTTL is the absolute lifetime of the refresh family a login
	// starts.
	familyTTL time.Duration
}

// decide checks the resource owner's credentials (package login: every
// failure, a locked-out account's right password included, is the same
// invalid_grant) and decides the subject, scope, audience and, if the
// client may refresh, the new refresh family.
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
	u, err := g.logins.Check(ctx, req.source, client.ID, req.username, req.password)
	var unavailable *login.Unavailable
	switch {
	case errors.As(err, &unavailable):
		return decision{}, oautherr.Unavailable(unavailable.Err)
	case err != nil:
		return decision{}, oautherr.InvalidGrant("invalid username or password")
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
