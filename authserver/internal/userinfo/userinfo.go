package userinfo

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/fastsafe/fastsafe/authserver/internal/idtoken"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/tokenstate"
	"github.com/fastsafe/fastsafe/pkg/bearer"
)

// Inspector finds the state of a presented token; *tokenstate.Inspector
// implements it.
type Inspector interface {
	Inspect(ctx context.Context, token, hint string) (tokenstate.State, error)
}

// Users is where the token's user is read.
type Users interface {
	GetUser(ctx context.Context, username string) (store.User, error)
}

// Handler serves GET and POST /userinfo.
type Handler struct {
	tokens Inspector
	users  Users
	log    *slog.Logger
}

// New returns the UserInfo endpoint.
func New(tokens Inspector, users Users, logger *slog.Logger) *Handler {
	return &Handler{tokens: tokens, users: users, log: logger}
}

// challenge is the realm of the endpoint's WWW-Authenticate challenges.
var challenge = bearer.Options{Realm: "userinfo"}

// errInvalid is every token that cannot be used here: not ours, inactive,
// or of a user who is gone or disabled.
var errInvalid = errors.New("userinfo: invalid token")

type answer struct {
	Subject string `json:"sub"`
	idtoken.Profile
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		oautherr.Write(w, nil, oautherr.MethodNotAllowed("GET, POST"))
		return
	}
	ctx := r.Context()
	token, err := bearer.Extract(r)
	if err != nil {
		bearer.WriteError(w, challenge, err)
		return
	}
	st, err := h.tokens.Inspect(ctx, token, "access_token")
	if err != nil {
		oautherr.WriteContext(ctx, w, h.log, oautherr.Unavailable(err))
		return
	}
	if !st.Active || st.Kind != tokenstate.Access {
		bearer.WriteError(w, challenge, errInvalid)
		return
	}
	if !st.Access.HasScope(idtoken.ScopeOpenID) {
		bearer.WriteError(w, challenge, bearer.ErrInsufficientScope, idtoken.ScopeOpenID)
		return
	}
	u, err := h.users.GetUser(ctx, st.Access.Subject)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled):
		bearer.WriteError(w, challenge, errInvalid)
		return
	case err != nil:
		oautherr.WriteContext(ctx, w, h.log, oautherr.Unavailable(err))
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	_ = json.NewEncoder(w).Encode(answer{Subject: u.Username, Profile: idtoken.ProfileOf(u, st.Access.Scopes())})
}
