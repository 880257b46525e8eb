package authorize

import (
	"errors"
	"net/http"

	"github.com/fastsafe/fastsafe/authserver/internal/login"
	"github.com/fastsafe/fastsafe/authserver/internal/session"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// wrongCredentials is the one message of every failed sign-in: unknown
// user, wrong password, disabled user, locked-out account, client or
// address. The page is the same for all of them.
const wrongCredentials = "Wrong username or password."

// Login serves POST /login, the sign-in form: it checks the password with
// the limits of the password grant, starts a new browser session, and
// goes on with the authorization request the form carries.
func (h *Handler) Login(w http.ResponseWriter, r *http.Request) {
	f, req, ok := h.checkForm(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	name, password := f.Get("username"), f.Get("password")
	if name == "" || password == "" {
		h.loginPage(w, r, req, http.StatusBadRequest, name, "Enter your username and password.")
		return
	}
	if len(name) > login.MaxUsernameLen {
		name = ""
	}
	var user store.User
	var err error
	if err = h.throttle.AllowClient(r, req.Client.ID); err == nil {
		user, err = h.logins.Check(ctx, r, req.Client.ID, name, password)
	} else {
		// A locked-out address or client looks like a wrong password.
		err = login.ErrFailed
	}
	var unavailable *login.Unavailable
	switch {
	case errors.As(err, &unavailable):
		h.unavailable(w, r, unavailable.Err)
		return
	case err != nil:
		h.loginPage(w, r, req, http.StatusUnauthorized, name, wrongCredentials)
		return
	}
	sess, err := h.startSession(w, r, user)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.proceed(w, r, req, &sess, step{signedIn: true})
}

// startSession starts a new browser session for user, replacing the
// request's, so that no session chosen before sign-in survives it
// (session fixation).
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, user store.User) (store.Session, error) {
	ctx := r.Context()
	if old := h.currentSession(r); old != nil {
		if err := h.store.DeleteSession(ctx, old.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return store.Session{}, err
		}
	}
	now := h.opts.Now()
	value := session.NewValue()
	s := store.Session{
		ID:         session.NewID(),
		CookieHash: session.Hash(value),
		Subject:    user.Username,
		AuthTime:   now,
		CreatedAt:  now,
		ExpiresAt:  now.Add(h.opts.SessionTTL),
	}
	if err := h.store.CreateSession(ctx, s); err != nil {
		return store.Session{}, err
	}
	h.cookies.SetSession(w, value, s.ExpiresAt)
	return s, nil
}
