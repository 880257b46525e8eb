package authorize

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/fastsafe/fastsafe/authserver/internal/pages"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// consentPage asks user whether req's client may have scopes.
func (h *Handler) consentPage(w http.ResponseWriter, r *http.Request, req Request, user store.User, scopes []string) {
	host := req.RedirectURI
	if u, err := url.Parse(req.RedirectURI); err == nil && u.Host != "" {
		host = u.Host
	}
	h.pages.Consent(w, pages.Consent{
		ClientName:   req.Client.DisplayName(),
		Unverified:   req.Client.Registered(),
		Username:     user.Username,
		Scopes:       pages.DescribeScopes(scopes),
		RedirectHost: host,
		Action:       h.opts.Issuer + PathConsent,
		CSRF:         h.cookies.CSRFToken(w, r),
		Request:      req.Params.Encode(),
	})
}

// Consent serves POST /consent, the consent form: a person who denies is
// sent back with access_denied; one who allows has it remembered, for this
// client and these scopes, and goes on to the code.
func (h *Handler) Consent(w http.ResponseWriter, r *http.Request) {
	f, req, ok := h.checkForm(w, r)
	if !ok {
		return
	}
	sess := h.currentSession(r)
	if sess == nil {
		// The session ended while the page was open.
		h.proceed(w, r, req, nil, step{})
		return
	}
	switch f.Get("decision") {
	case "allow":
	case "deny":
		h.redirectError(w, r, req, redirectErr(codeAccessDenied, "the person denied the request"))
		return
	default:
		h.errorPage(w, http.StatusBadRequest, "This request cannot be used", "The form did not say whether to allow or deny.")
		return
	}
	ctx := r.Context()
	now := h.opts.Now()
	c, err := h.store.GetConsent(ctx, sess.Subject, req.Client.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c = store.Consent{Subject: sess.Subject, ClientID: req.Client.ID, CreatedAt: now}
	case err != nil:
		h.unavailable(w, r, err)
		return
	}
	for _, s := range req.Scopes {
		if !slices.Contains(c.Scopes, s) {
			c.Scopes = append(c.Scopes, s)
		}
	}
	c.UpdatedAt = now
	if err := h.store.SaveConsent(ctx, c); err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.proceed(w, r, req, sess, step{consented: true})
}
