package token

import (
	"context"
	"net/url"
	"slices"
	"time"

	"github.com/go-oauth2/oauth2/v4"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/scope"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// Token exchange (RFC 8693).
const (
	// GrantTokenExchange is the grant type of token exchange.
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	// TokenTypeAccessToken is the one token type exchanged and issued:
	// an access token of this server.
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	// MaxActors bounds a delegation chain: a token already acted on by
	// this many services cannot be exchanged again.
	MaxActors = 5
)

// tokenExchangeRequest is a token exchange request (RFC 8693 §2.1).
type tokenExchangeRequest struct {
	subjectToken, subjectTokenType string
	actorToken, actorTokenType     string
	requestedTokenType             string
	scope                          string
	// targets are the audience and resource parameters together: both
	// name audiences of the new token here.
	targets []string
}

func newTokenExchangeRequest(f url.Values) tokenExchangeRequest {
	return tokenExchangeRequest{
		subjectToken:       f.Get("subject_token"),
		subjectTokenType:   f.Get("subject_token_type"),
		actorToken:         f.Get("actor_token"),
		actorTokenType:     f.Get("actor_token_type"),
		requestedTokenType: f.Get("requested_token_type"),
		scope:              f.Get("scope"),
		targets:            append(slices.Clone(f["audience"]), f["resource"]...),
	}
}

// SubjectTokens finds whether a presented token is an active access token
// of this server: correctly signed, unexpired, not revoked, its grant
// not revoked. *tokenstate.Inspector implements it.
type SubjectTokens interface {
	ActiveAccessToken(ctx context.Context, token string) (*claims.AccessToken, bool, error)
}

// tokenExchangeGrant decides token exchanges.
type tokenExchangeGrant struct {
	tokens    SubjectTokens
	accessTTL time.Duration
}

// invalidSubject is the one answer to every subject or actor token that
// cannot be exchanged, whatever the reason.
func invalidSubject(what string) error {
	return oautherr.InvalidGrant("the " + what + " is invalid, expired or revoked, or not this client's to exchange")
}

// decide checks an exchange and decides the new token, which can only
// narrow what the subject token carries:
//
//   - the subject token is an active access token of ours, issued to the
//     calling client or addressed to it (its "aud" names the client ID):
//     a service exchanges only the tokens it was given;
//   - its scopes are at most the subject token's, and the client's own;
//   - its audiences are among those the client may exchange for
//     (clients add --exchange-audiences), all of them unless narrowed;
//   - it expires no later than the subject token;
//   - its "sub" is the subject token's (the user), its "act" names the
//     calling client, with the subject token's actors nested inside, and
//     its "sid" is the subject token's grant, so that revoking the grant
//     deactivates every token exchanged from it.
//
// An actor_token, if given, must be an active access token of ours whose
// subject is the calling client: the client acts for itself.
func (g *tokenExchangeGrant) decide(ctx context.Context, client store.Client, req tokenExchangeRequest, now time.Time) (decision, error) {
	switch {
	case req.subjectToken == "" || req.subjectTokenType == "":
		return decision{}, oautherr.InvalidRequest("subject_token and subject_token_type are required")
	case req.subjectTokenType != TokenTypeAccessToken:
		return decision{}, oautherr.InvalidRequest("subject_token_type must be " + TokenTypeAccessToken)
	case req.requestedTokenType != "" && req.requestedTokenType != TokenTypeAccessToken:
		return decision{}, oautherr.InvalidRequest("requested_token_type must be " + TokenTypeAccessToken)
	case (req.actorToken == "") != (req.actorTokenType == ""):
		return decision{}, oautherr.InvalidRequest("actor_token and actor_token_type go together")
	case req.actorToken != "" && req.actorTokenType != TokenTypeAccessToken:
		return decision{}, oautherr.InvalidRequest("actor_token_type must be " + TokenTypeAccessToken)
	}
	// Audience and scope are checked against the client first: their
	// errors then say nothing about the subject token.
	aud, err := scope.Audience(req.targets, client.ExchangeAudiences)
	if err != nil {
		return decision{}, err
	}
	if _, err := scope.Grant(req.scope, client.Scopes, nil); err != nil {
		return decision{}, err
	}
	sub, err := g.active(ctx, req.subjectToken, "subject token")
	if err != nil {
		return decision{}, err
	}
	if sub.ClientID != client.ID && !sub.HasAudience(client.ID) {
		return decision{}, invalidSubject("subject token")
	}
	if sub.Actor.Depth() >= MaxActors {
		return decision{}, oautherr.InvalidGrant("the subject token went through too many exchanges")
	}
	if req.actorToken != "" {
		act, err := g.active(ctx, req.actorToken, "actor token")
		if err != nil {
			return decision{}, err
		}
		if act.Subject != client.ID {
			return decision{}, invalidSubject("actor token")
		}
	}
	scopes, err := scope.Grant(req.scope, scope.Within(sub.Scopes(), client.Scopes), nil)
	if err != nil {
		return decision{}, err
	}
	remaining := sub.ExpiresAt.Sub(now).Truncate(time.Second)
	if remaining < time.Second {
		return decision{}, invalidSubject("subject token")
	}
	return decision{
		grant:     oauth2.GrantType(GrantTokenExchange),
		client:    client,
		now:       now,
		subject:   sub.Subject,
		scopes:    scopes,
		audience:  aud,
		sid:       sub.SessionID,
		actor:     &claims.Actor{Subject: client.ID, Actor: sub.Actor},
		accessTTL: min(g.accessTTL, remaining),
		exchanged: true,
	}, nil
}

// active returns the claims of token if it is an active access token of
// ours.
func (g *tokenExchangeGrant) active(ctx context.Context, token, what string) (*claims.AccessToken, error) {
	c, ok, err := g.tokens.ActiveAccessToken(ctx, token)
	switch {
	case err != nil:
		return nil, oautherr.Unavailable(err)
	case !ok:
		return nil, invalidSubject(what)
	}
	return c, nil
}
