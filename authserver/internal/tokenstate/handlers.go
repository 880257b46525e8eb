package tokenstate

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/form"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/reqlog"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// ClientAuthenticator authenticates the client of a request.
type ClientAuthenticator interface {
	Authenticate(ctx context.Context, r *http.Request, form url.Values, confidentialOnly bool) (store.Client, error)
}

// Revoker records revocations.
type Revoker interface {
	RevokeRefreshFamily(ctx context.Context, id string, now time.Time) error
	RevokeAccessToken(ctx context.Context, jti string, expiresAt time.Time) error
}

// introspection is the RFC 7662 §2.2 response.
type introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Username  string   `json:"username,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Nbf       int64    `json:"nbf,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
	// Act names who acts for sub, in a token made by exchange (RFC 8693
	// §4.1); Cnf the DPoP key a token is bound to (RFC 9449 §6.2).
	Act *claims.Actor        `json:"act,omitempty"`
	Cnf *claims.Confirmation `json:"cnf,omitempty"`
}

// Introspection serves POST /introspect (RFC 7662). Only confidential
// clients may introspect; a refresh token is shown only to its own client.
// Anything not active is exactly {"active":false}.
//
// obs, if not nil, is told of every error answer.
func Introspection(in *Inspector, clients ClientAuthenticator, logger *slog.Logger, obs ErrorObserver) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := introspect(w, r, in, clients)
		if err != nil {
			writeError(r, w, logger, obs, "introspect", err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json;charset=UTF-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		_ = json.NewEncoder(w).Encode(resp)
	})
}

func introspect(w http.ResponseWriter, r *http.Request, in *Inspector, clients ClientAuthenticator) (introspection, error) {
	f, err := form.Parse(w, r)
	if err != nil {
		return introspection{}, err
	}
	ctx := r.Context()
	client, err := clients.Authenticate(ctx, r, f, true)
	if err != nil {
		return introspection{}, err
	}
	reqlog.SetClientID(ctx, client.ID)
	token := f.Get("token")
	if token == "" {
		return introspection{}, oautherr.InvalidRequest("token is required")
	}
	st, err := in.Inspect(ctx, token, f.Get("token_type_hint"))
	if err != nil {
		return introspection{}, oautherr.Unavailable(err)
	}
	switch {
	case !st.Active:
		return introspection{Active: false}, nil
	case st.Kind == Access:
		c := st.Access
		resp := introspection{
			Active: true, Scope: c.Scope, ClientID: c.ClientID, TokenType: "Bearer",
			Sub: c.Subject, Aud: c.Audience, Iss: c.Issuer, Jti: c.ID,
			Exp: unix(c.ExpiresAt.Time),
			Act: c.Actor, Cnf: c.Confirmation,
		}
		if c.Confirmation != nil {
			resp.TokenType = "DPoP"
		}
		if c.IssuedAt != nil {
			resp.Iat = unix(c.IssuedAt.Time)
		}
		if c.NotBefore != nil {
			resp.Nbf = unix(c.NotBefore.Time)
		}
		if c.SessionID != "" {
			resp.Username = c.Subject // issued to a user, not to a client
		}
		return resp, nil
	case st.Kind == Refresh && st.Refresh.ClientID == client.ID:
		t := st.Refresh
		return introspection{
			Active: true, Scope: claims.FormatScope(t.Scopes), ClientID: t.ClientID, Username: t.Subject,
			TokenType: "refresh_token", Exp: unix(t.ExpiresAt), Iat: unix(t.CreatedAt),
			Sub: t.Subject, Aud: t.Audience, Iss: in.issuer,
		}, nil
	default:
		return introspection{Active: false}, nil
	}
}

// Revocation serves POST /revoke (RFC 7009). A client revokes only its
// own tokens: revoking a refresh token revokes its whole grant, with the
// access tokens issued under it; revoking an access token revokes that
// token. Unknown, invalid or foreign tokens get the same 200 as revoked
// ones (§2.2), so the endpoint reveals nothing about other clients'
// tokens. A revocation that cannot be stored is 503, never a false 200.
//
// obs, if not nil, is told of every error answer.
func Revocation(in *Inspector, clients ClientAuthenticator, rev Revoker, now func() time.Time, logger *slog.Logger, obs ErrorObserver) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := revoke(w, r, in, clients, rev, now); err != nil {
			writeError(r, w, logger, obs, "revoke", err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	})
}

func revoke(w http.ResponseWriter, r *http.Request, in *Inspector, clients ClientAuthenticator, rev Revoker, now func() time.Time) error {
	f, err := form.Parse(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	client, err := clients.Authenticate(ctx, r, f, false)
	if err != nil {
		return err
	}
	reqlog.SetClientID(ctx, client.ID)
	token := f.Get("token")
	if token == "" {
		return oautherr.InvalidRequest("token is required")
	}
	st, err := in.Inspect(ctx, token, f.Get("token_type_hint"))
	if err != nil {
		return oautherr.Unavailable(err)
	}
	switch {
	case st.Kind == Refresh && st.Refresh.ClientID == client.ID:
		err = rev.RevokeRefreshFamily(ctx, st.Family.ID, now())
	case st.Kind == Access && st.Active && st.Access.ClientID == client.ID:
		err = rev.RevokeAccessToken(ctx, st.Access.ID, st.Access.ExpiresAt.Time)
	}
	if err != nil {
		return oautherr.Unavailable(err)
	}
	return nil
}

func unix(t time.Time) int64 { return t.Unix() }

// ErrorObserver is told of the error answers of the introspection and
// revocation endpoints, for metrics.
type ErrorObserver interface {
	// TokenError: endpoint ("introspect" or "revoke") answered with the
	// OAuth error code.
	TokenError(endpoint, code string)
}

func writeError(r *http.Request, w http.ResponseWriter, logger *slog.Logger, obs ErrorObserver, endpoint string, err error) {
	if obs != nil {
		obs.TokenError(endpoint, oautherr.From(err).Code)
	}
	oautherr.WriteContext(r.Context(), w, logger, err)
}
