package authorize

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/form"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/pages"
	"github.com/fastsafe/fastsafe/authserver/internal/redirecturi"
	"github.com/fastsafe/fastsafe/authserver/internal/session"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// PathLogout is the end-session endpoint, relative to the issuer.
const PathLogout = "/logout"

// Keys finds the public key a token of ours was signed with.
type Keys interface {
	Keyfunc(t *jwt.Token) (any, error)
}

// logoutParams are the parameters of OpenID Connect RP-Initiated Logout
// 1.0 §2 this server acts on, and the hidden fields of its confirmation
// form.
var logoutParams = []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state"}

// Logout serves GET and POST /logout (OpenID Connect RP-Initiated Logout
// 1.0): it ends the browser session and sends the person to the client's
// registered post_logout_redirect_uri, or shows that they signed out. A
// request that proves it comes from the session's own client (an ID token
// of this session as id_token_hint) signs out at once; any other is
// confirmed by the person first, so that no other site can sign them out.
func (h *Handler) Logout(w http.ResponseWriter, r *http.Request) {
	var params url.Values
	confirmed := false
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		params = r.URL.Query()
	case http.MethodPost:
		f, err := form.Parse(w, r)
		if err != nil {
			h.errorPage(w, oautherr.From(err).HTTPStatus(), "This request cannot be used", oautherr.From(err).Description)
			return
		}
		params = f
		if f.Has(session.CSRFFieldName) {
			if !h.cookies.CheckForm(r, f.Get(session.CSRFFieldName)) {
				h.errorPage(w, http.StatusForbidden, "This page has expired",
					"The form was not sent from this site's own page, or the page is too old.")
				return
			}
			confirmed = true
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.errorPage(w, http.StatusMethodNotAllowed, "This request cannot be used", "Use GET or POST.")
		return
	}
	for _, p := range logoutParams {
		if len(params[p]) > 1 {
			h.errorPage(w, http.StatusBadRequest, "This request cannot be used", p+" is repeated.")
			return
		}
	}
	hint, err := h.parseIDTokenHint(params.Get("id_token_hint"))
	if err != nil {
		h.errorPage(w, http.StatusBadRequest, "This request cannot be used", "The application sent an ID token this server did not issue.")
		return
	}
	back, ok := h.postLogoutRedirect(w, r, params, hint)
	if !ok {
		return
	}
	sess := h.currentSession(r)
	if sess != nil && !confirmed && !(hint != nil && hint.SessionID == sess.ID) {
		user := sess.Subject
		var hidden []pages.Hidden
		for _, p := range logoutParams {
			if v := params.Get(p); v != "" {
				hidden = append(hidden, pages.Hidden{Name: p, Value: v})
			}
		}
		h.pages.Logout(w, pages.Logout{
			Username: user,
			Action:   h.opts.Issuer + PathLogout,
			CSRF:     h.cookies.CSRFToken(w, r),
			Hidden:   hidden,
		})
		return
	}
	if sess != nil {
		if err := h.store.DeleteSession(r.Context(), sess.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			h.unavailable(w, r, err)
			return
		}
	}
	h.cookies.ClearSession(w)
	if back == "" {
		h.pages.SignedOut(w)
		return
	}
	q := url.Values{}
	if s := params.Get("state"); s != "" && len(s) <= maxStateLen {
		q.Set("state", s)
	}
	sendTo(w, r, back, q)
}

// idTokenHint is what the end-session endpoint reads of an id_token_hint.
type idTokenHint struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid,omitempty"`
}

// parseIDTokenHint verifies an ID token this server issued, expired or
// not (RP-Initiated Logout 1.0 §2 expects expired ones). An empty hint is
// nil and no error.
func (h *Handler) parseIDTokenHint(token string) (*idTokenHint, error) {
	if token == "" {
		return nil, nil
	}
	if len(token) > 8<<10 || h.keys == nil {
		return nil, errors.New("authorize: unusable id_token_hint")
	}
	var c idTokenHint
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256", "ES256", "EdDSA"}), jwt.WithoutClaimsValidation())
	if _, err := p.ParseWithClaims(token, &c, h.keys.Keyfunc); err != nil {
		return nil, err
	}
	if c.Issuer != h.opts.Issuer {
		return nil, errors.New("authorize: id_token_hint from another issuer")
	}
	return &c, nil
}

// postLogoutRedirect returns the post_logout_redirect_uri the request
// names, "" for none, or answers the request with an error page and
// returns ok false: a URI the client did not register is never redirected
// to. The client is client_id, or the audience of id_token_hint; when
// both are given they must agree.
func (h *Handler) postLogoutRedirect(w http.ResponseWriter, r *http.Request, params url.Values, hint *idTokenHint) (string, bool) {
	clientID := params.Get("client_id")
	if hint != nil {
		switch {
		case clientID != "" && !slices.Contains(hint.Audience, clientID):
			h.errorPage(w, http.StatusBadRequest, "This request cannot be used",
				"The application's ID token was issued to another application.")
			return "", false
		case clientID == "" && len(hint.Audience) == 1:
			clientID = hint.Audience[0]
		}
	}
	uri := params.Get("post_logout_redirect_uri")
	if uri == "" {
		return "", true
	}
	refuse := func() (string, bool) {
		h.errorPage(w, http.StatusBadRequest, "This request cannot be used",
			"The application asked to send you to an address it has not registered. You have not been signed out.")
		return "", false
	}
	if clientID == "" || len(clientID) > maxClientIDLen {
		return refuse()
	}
	c, err := h.store.GetClient(r.Context(), clientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return refuse()
	case err != nil:
		h.unavailable(w, r, err)
		return "", false
	}
	if _, ok := redirecturi.Match(c.PostLogoutRedirectURIs, uri); !ok {
		return refuse()
	}
	return uri, true
}
