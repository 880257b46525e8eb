package authorize

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/form"
	"github.com/fastsafe/fastsafe/authserver/internal/login"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/pages"
	"github.com/fastsafe/fastsafe/authserver/internal/session"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// Paths of the pages' forms, relative to the issuer.
const (
	PathLogin   = "/login"
	PathConsent = "/consent"
)

// Store is what the authorization endpoint reads and writes.
type Store interface {
	Clients
	GetUser(ctx context.Context, username string) (store.User, error)
	CreateSession(ctx context.Context, s store.Session) error
	GetSessionByCookie(ctx context.Context, cookieHash string) (store.Session, error)
	DeleteSession(ctx context.Context, id string) error
	GetConsent(ctx context.Context, subject, clientID string) (store.Consent, error)
	SaveConsent(ctx context.Context, c store.Consent) error
}

// Codes issues authorization codes: c, for client, without its ID, which
// the issuer derives from the code it makes. It returns the code.
// *token.Handler implements it.
type Codes interface {
	IssueCode(ctx context.Context, r *http.Request, client store.Client, c store.AuthCode) (string, error)
}

// Logins checks credentials; *login.Checker implements it.
type Logins interface {
	Check(ctx context.Context, source *http.Request, clientID, name, password string) (store.User, error)
}

// Throttle refuses source addresses and clients that failed too often.
// *throttle.Guard implements it.
type Throttle interface {
	AllowClient(r *http.Request, clientID string) error
}

// Options configure the endpoint.
type Options struct {
	Issuer string
	// SessionTTL is how long a browser session lasts after sign-in.
	SessionTTL time.Duration
	// CodeTTL is how long an authorization code is valid.
	CodeTTL time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// Handler serves the authorization endpoint and its pages.
type Handler struct {
	opts     Options
	store    Store
	codes    Codes
	logins   Logins
	throttle Throttle
	pages    *pages.Renderer
	cookies  session.Cookies
	keys     Keys
}

// New returns the authorization endpoint.
func New(opts Options, st Store, codes Codes, logins Logins, throttle Throttle, keys Keys, renderer *pages.Renderer, cookies session.Cookies) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{opts: opts, store: st, codes: codes, logins: logins, throttle: throttle, keys: keys, pages: renderer, cookies: cookies}
}

// Authorize serves GET and POST /authorize (OpenID Connect Core §3.1.2.1
// allows both; a POST carries the request in a form body).
func (h *Handler) Authorize(w http.ResponseWriter, r *http.Request) {
	var params url.Values
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		params = r.URL.Query()
	case http.MethodPost:
		f, err := form.Parse(w, r, "resource")
		if err != nil {
			h.errorPage(w, http.StatusBadRequest, "This request cannot be used", oautherr.From(err).Description)
			return
		}
		params = f
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.errorPage(w, http.StatusMethodNotAllowed, "This request cannot be used", "Use GET or POST.")
		return
	}
	req, err := parseRequest(r.Context(), h.store, params)
	if err != nil {
		h.fail(w, r, req, err)
		return
	}
	h.proceed(w, r, req, h.currentSession(r), step{})
}

// step is what the person has just done on the way to a code.
type step struct {
	// signedIn: they entered their password now, so prompt=login and
	// max_age are satisfied.
	signedIn bool
	// consented: they allowed the request now, so prompt=consent is.
	consented bool
}

// proceed decides what comes next for req: the sign-in page, the consent
// page, an error for the client, or the code.
func (h *Handler) proceed(w http.ResponseWriter, r *http.Request, req Request, sess *store.Session, done step) {
	ctx := r.Context()
	now := h.opts.Now()
	fresh := done.signedIn
	if sess != nil && !fresh {
		if req.Prompt.Login || (req.HasMaxAge && now.Sub(sess.AuthTime) > req.MaxAge) {
			sess = nil // ask for the password again, even with a session
		}
	}
	var user store.User
	if sess != nil {
		u, err := h.store.GetUser(ctx, sess.Subject)
		switch {
		case errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled):
			// The person was deleted or disabled since signing in.
			sess = nil
		case err != nil:
			h.unavailable(w, r, err)
			return
		default:
			user = u
		}
	}
	if sess == nil {
		if req.Prompt.None {
			h.redirectError(w, r, req, redirectErr(codeLoginRequired, "the person is not signed in"))
			return
		}
		h.loginPage(w, r, req, http.StatusOK, req.LoginHint, "")
		return
	}
	scopes, refused := personScopes(req.Scopes, user.Scopes)
	if refused != nil {
		h.redirectError(w, r, req, refused)
		return
	}
	// A client that registered itself is always asked consent, however
	// it was updated since.
	if (!req.Client.SkipConsent || req.Client.Registered()) && !done.consented {
		needed := req.Prompt.Consent
		if !needed {
			c, err := h.store.GetConsent(ctx, user.Username, req.Client.ID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				needed = true
			case err != nil:
				h.unavailable(w, r, err)
				return
			default:
				needed = !covers(c.Scopes, scopes)
			}
		}
		if needed {
			if req.Prompt.None {
				h.redirectError(w, r, req, redirectErr(codeConsentRequired, "the person has not allowed this request"))
				return
			}
			h.consentPage(w, r, req, user, scopes)
			return
		}
	}
	h.issueCode(w, r, req, *sess, user, scopes)
}

// personScopes narrows the requested scopes to what the person may be
// granted: API scopes within the user's, when the user has a list;
// OpenID Connect scopes are about the person and always allowed.
func personScopes(requested, userScopes []string) ([]string, *redirectError) {
	if len(userScopes) == 0 {
		return requested, nil
	}
	for _, s := range requested {
		if !slices.Contains(openIDScopes, s) && !slices.Contains(userScopes, s) {
			return nil, redirectErr(oautherr.CodeInvalidScope, "a requested scope is not allowed for this user")
		}
	}
	return requested, nil
}

// covers reports whether granted includes every one of wanted.
func covers(granted, wanted []string) bool {
	for _, s := range wanted {
		if !slices.Contains(granted, s) {
			return false
		}
	}
	return true
}

// currentSession returns the request's live browser session, or nil.
func (h *Handler) currentSession(r *http.Request) *store.Session {
	v, ok := h.cookies.Session(r)
	if !ok {
		return nil
	}
	s, err := h.store.GetSessionByCookie(r.Context(), session.Hash(v))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.opts.Logger.WarnContext(r.Context(), "reading the browser session failed; treating the request as signed out", "err", err)
		}
		return nil
	}
	if !h.opts.Now().Before(s.ExpiresAt) {
		return nil
	}
	return &s
}

// fail answers a request parseRequest refused.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, req Request, err error) {
	var pe *pageError
	var re *redirectError
	switch {
	case errors.As(err, &pe):
		h.errorPage(w, pe.status, pe.title, pe.message)
	case errors.As(err, &re):
		h.redirectError(w, r, req, re)
	default:
		h.unavailable(w, r, err)
	}
}

func (h *Handler) errorPage(w http.ResponseWriter, status int, title, message string) {
	h.pages.Error(w, status, pages.Error{Title: title, Message: message})
}

// unavailable answers a failure of the store with a page, not a redirect:
// the person may simply try again.
func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.opts.Logger.ErrorContext(r.Context(), "authorization request failed", "err", err)
	w.Header().Set("Retry-After", "5")
	h.errorPage(w, http.StatusServiceUnavailable, "Temporarily unavailable",
		"The server cannot answer right now. Try again in a moment.")
}

// loginPage shows the sign-in form for req.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, req Request, status int, username, message string) {
	h.pages.Login(w, status, pages.Login{
		ClientName: req.Client.DisplayName(),
		Unverified: req.Client.Registered(),
		Username:   username,
		Error:      message,
		Action:     h.opts.Issuer + PathLogin,
		CSRF:       h.cookies.CSRFToken(w, r),
		Request:    req.Params.Encode(),
	})
}

// checkForm parses a page's form post, checks its CSRF token and the
// authorization request it carries. It answers the request itself and
// returns ok false when any of that fails.
func (h *Handler) checkForm(w http.ResponseWriter, r *http.Request) (url.Values, Request, bool) {
	f, err := form.Parse(w, r)
	if err != nil {
		h.errorPage(w, oautherr.From(err).HTTPStatus(), "This request cannot be used", oautherr.From(err).Description)
		return nil, Request{}, false
	}
	if !h.cookies.CheckForm(r, f.Get(session.CSRFFieldName)) {
		h.errorPage(w, http.StatusForbidden, "This page has expired",
			"The form was not sent from this site's own page, or the page is too old. Go back to the application and start again.")
		return nil, Request{}, false
	}
	params, err := url.ParseQuery(f.Get("request"))
	if err != nil {
		h.errorPage(w, http.StatusBadRequest, "This request cannot be used", "The form does not carry a valid request.")
		return nil, Request{}, false
	}
	req, err := parseRequest(r.Context(), h.store, params)
	if err != nil {
		h.fail(w, r, req, err)
		return nil, Request{}, false
	}
	return f, req, true
}

// ensure the login package's checker fits.
var _ Logins = (*login.Checker)(nil)
