package authorize

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// issueCode issues the authorization code for req, approved in sess by
// user for scopes, and sends the person back to the client with it (RFC
// 6749 §4.1.2).
func (h *Handler) issueCode(w http.ResponseWriter, r *http.Request, req Request, sess store.Session, user store.User, scopes []string) {
	now := h.opts.Now()
	code, err := h.codes.IssueCode(r.Context(), r, req.Client, store.AuthCode{
		ClientID:      req.Client.ID,
		Subject:       user.Username,
		RedirectURI:   req.RedirectURI,
		Scopes:        scopes,
		Audience:      req.Audience,
		CodeChallenge: req.CodeChallenge,
		Nonce:         req.Nonce,
		SessionID:     sess.ID,
		AuthTime:      sess.AuthTime,
		FamilyID:      rand.Text(),
		CreatedAt:     now,
		ExpiresAt:     now.Add(h.opts.CodeTTL),
	})
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.redirect(w, r, req, url.Values{"code": {code}})
}

// redirectError sends the person back to the client with e (RFC 6749
// §4.1.2.1).
func (h *Handler) redirectError(w http.ResponseWriter, r *http.Request, req Request, e *redirectError) {
	q := url.Values{"error": {e.code}}
	if e.description != "" {
		q.Set("error_description", e.description)
	}
	h.redirect(w, r, req, q)
}

// redirect sends the person to req's redirect URI with q, the request's
// state, and the issuer (RFC 9207).
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, req Request, q url.Values) {
	if req.State != "" {
		q.Set("state", req.State)
	}
	q.Set("iss", h.opts.Issuer)
	sendTo(w, r, req.RedirectURI, q)
}

// sendTo redirects to target with q added to the query it has. After a
// form post the redirect is 303, so that the browser follows it with GET.
func sendTo(w http.ResponseWriter, r *http.Request, target string, q url.Values) {
	if len(q) > 0 {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + q.Encode()
	}
	hd := w.Header()
	hd.Set("Location", target)
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	w.WriteHeader(status)
}
