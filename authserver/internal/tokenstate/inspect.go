package tokenstate

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// maxTokenLen bounds a presented token; longer ones are never ours.
const maxTokenLen = 8 << 10

// Store is what the inspector reads.
type Store interface {
	GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, store.RefreshFamily, error)
	GetRefreshFamily(ctx context.Context, id string) (store.RefreshFamily, error)
	AccessTokenRevoked(ctx context.Context, jti string) (bool, error)
	// GetSigningKey returns a signing key, revoked or not: a key revoked
	// by another process is refused here before this process's keys are
	// reloaded.
	GetSigningKey(ctx context.Context, id string) (store.SigningKey, error)
}

// Keys finds the public key a token of ours was signed with.
type Keys interface {
	Keyfunc(t *jwt.Token) (any, error)
}

// Kind is what a presented token turned out to be.
type Kind int

// Kinds of token.
const (
	Unknown Kind = iota // not a token of ours, or malformed
	Access
	Refresh
)

// State is the inspector's finding.
type State struct {
	Kind   Kind
	Active bool
	// Access holds the claims of a correctly signed access token of ours,
	// active or not.
	Access *claims.AccessToken
	// Refresh and Family describe a known refresh token, active or not.
	Refresh store.RefreshToken
	Family  store.RefreshFamily
}

// Inspector finds the state of presented tokens.
type Inspector struct {
	issuer string
	store  Store
	keys   Keys
	now    func() time.Time
	parser *jwt.Parser
}

// NewInspector returns an inspector for tokens issued by issuer.
func NewInspector(issuer string, st Store, keys Keys, now func() time.Time) *Inspector {
	return &Inspector{
		issuer: issuer,
		store:  st,
		keys:   keys,
		now:    now,
		// Only the signature is checked by the parser; the claims are
		// judged below so that expired tokens can still be recognised.
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{"RS256", "ES256", "EdDSA"}),
			jwt.WithoutClaimsValidation(),
		),
	}
}

// Inspect finds the state of token. hint ("access_token" or
// "refresh_token") only orders the look-ups. The error is non-nil only
// when the store could not answer.
func (in *Inspector) Inspect(ctx context.Context, token, hint string) (State, error) {
	if token == "" || len(token) > maxTokenLen {
		return State{}, nil
	}
	if hint == "refresh_token" || strings.Count(token, ".") != 2 {
		st, err := in.inspectRefresh(ctx, token)
		if err != nil || st.Kind != Unknown {
			return st, err
		}
	}
	if strings.Count(token, ".") == 2 {
		return in.inspectAccess(ctx, token)
	}
	return State{}, nil
}

// ActiveAccessToken returns the claims of token and true if it is an
// active access token of ours; the error is non-nil only when the store
// could not answer.
func (in *Inspector) ActiveAccessToken(ctx context.Context, token string) (*claims.AccessToken, bool, error) {
	if token == "" || len(token) > maxTokenLen || strings.Count(token, ".") != 2 {
		return nil, false, nil
	}
	st, err := in.inspectAccess(ctx, token)
	if err != nil || !st.Active {
		return nil, false, err
	}
	return st.Access, true, nil
}

func (in *Inspector) inspectAccess(ctx context.Context, token string) (State, error) {
	var c claims.AccessToken
	t, err := in.parser.ParseWithClaims(token, &c, in.keys.Keyfunc)
	if err != nil || !t.Valid || !typeIsAccessToken(t.Header["typ"]) || c.Issuer != in.issuer {
		return State{}, nil
	}
	st := State{Kind: Access, Access: &c}
	now := in.now()
	if c.ExpiresAt == nil || !now.Before(c.ExpiresAt.Time) || (c.NotBefore != nil && now.Before(c.NotBefore.Time)) {
		return st, nil
	}
	kid, _ := t.Header["kid"].(string)
	key, err := in.store.GetSigningKey(ctx, kid)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && key.Revoked()):
		return st, nil
	case err != nil:
		return st, err
	}
	revoked, err := in.store.AccessTokenRevoked(ctx, c.ID)
	if err != nil || revoked {
		return st, err
	}
	if c.SessionID != "" {
		fam, err := in.store.GetRefreshFamily(ctx, c.SessionID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return st, nil
		case err != nil:
			return st, err
		}
		if fam.Revoked() {
			return st, nil
		}
	}
	st.Active = true
	return st, nil
}

func (in *Inspector) inspectRefresh(ctx context.Context, token string) (State, error) {
	t, fam, err := in.store.GetRefreshToken(ctx, store.RefreshTokenID(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return State{}, nil
	case err != nil:
		return State{}, err
	}
	now := in.now()
	active := t.UsedAt.IsZero() && !fam.Revoked() && now.Before(t.ExpiresAt) && now.Before(fam.ExpiresAt)
	return State{Kind: Refresh, Active: active, Refresh: t, Family: fam}, nil
}

// typeIsAccessToken accepts "at+jwt" and "application/at+jwt", in any case
// (RFC 9068 §2.1, RFC 8725 §3.11).
func typeIsAccessToken(typ any) bool {
	s, ok := typ.(string)
	if !ok {
		return false
	}
	s = strings.ToLower(s)
	return s == claims.TokenType || s == "application/"+claims.TokenType
}
