package pages

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
)

//go:embed templates/*.html templates/style.css
var files embed.FS

// Page names, one template file each.
const (
	pageLogin     = "login.html"
	pageConsent   = "consent.html"
	pageError     = "error.html"
	pageLogout    = "logout.html"
	pageSignedOut = "signedout.html"
)

// Login is what the sign-in page shows.
type Login struct {
	// ClientName is the name of the application the person signs in to.
	ClientName string
	// Unverified marks a name the application gave itself.
	Unverified bool
	// Username fills the user name field: the login hint, or what was
	// typed before a failed attempt.
	Username string
	// Error is shown above the form after a failed attempt.
	Error string
	// Action is where the form posts; CSRF and Request go with it.
	Action  string
	CSRF    string
	Request string
}

// Consent is what the consent page shows.
type Consent struct {
	ClientName string
	Unverified bool
	Username   string
	Scopes     []ScopeText
	// RedirectHost is where allowing sends the person.
	RedirectHost string
	Action       string
	CSRF         string
	Request      string
}

// Error is the page shown instead of a redirect that cannot be trusted.
type Error struct {
	Title   string
	Message string
	// Hint, when set, ends the closing sentence.
	Hint string
}

// Hidden is one hidden field of a form.
type Hidden struct{ Name, Value string }

// Logout asks whether to sign out.
type Logout struct {
	Username string
	Action   string
	CSRF     string
	Hidden   []Hidden
}

// Renderer renders the pages. It is safe for concurrent use.
type Renderer struct {
	pages map[string]*template.Template
	css   template.CSS
	csp   string
	log   *slog.Logger
}

// New parses the embedded templates. logger receives rendering failures.
func New(logger *slog.Logger) (*Renderer, error) {
	css, err := files.ReadFile("templates/style.css")
	if err != nil {
		return nil, err
	}
	layout, err := template.ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: map[string]*template.Template{}, css: template.CSS(css), log: logger}
	for _, name := range []string{pageLogin, pageConsent, pageError, pageLogout, pageSignedOut} {
		t, err := template.Must(layout.Clone()).ParseFS(files, "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("pages: %s: %w", name, err)
		}
		r.pages[name] = t
	}
	sum := sha256.Sum256(css)
	r.csp = strings.Join([]string{
		"default-src 'none'",
		"style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'",
		"img-src 'self'",
		"frame-ancestors 'none'",
		"base-uri 'none'",
	}, "; ")
	return r, nil
}

// CSP is the Content-Security-Policy every page is served with.
func (r *Renderer) CSP() string { return r.csp }

// Login writes the sign-in page with status.
func (r *Renderer) Login(w http.ResponseWriter, status int, p Login) {
	r.render(w, status, pageLogin, p)
}

// Consent writes the consent page.
func (r *Renderer) Consent(w http.ResponseWriter, p Consent) {
	r.render(w, http.StatusOK, pageConsent, p)
}

// Error writes the error page with status.
func (r *Renderer) Error(w http.ResponseWriter, status int, p Error) {
	r.render(w, status, pageError, p)
}

// Logout writes the page asking whether to sign out.
func (r *Renderer) Logout(w http.ResponseWriter, p Logout) {
	r.render(w, http.StatusOK, pageLogout, p)
}

// SignedOut writes the page saying the person has signed out.
func (r *Renderer) SignedOut(w http.ResponseWriter) {
	r.render(w, http.StatusOK, pageSignedOut, struct{}{})
}

// SetHeaders sets the headers every page is served with: no caching
// (pages carry CSRF tokens and names), no framing, no script.
//
// The referrer policy is same-origin, not no-referrer: under no-referrer
// browsers send the pages' own form posts with "Origin: null" (the Fetch
// standard), which session.CheckForm refuses as another site's. No
// address of a page leaves the issuer's origin either way.
func (r *Renderer) SetHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Security-Policy", r.csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

func (r *Renderer) render(w http.ResponseWriter, status int, name string, page any) {
	var buf bytes.Buffer
	err := r.pages[name].ExecuteTemplate(&buf, "layout", struct {
		CSS  template.CSS
		Page any
	}{r.css, page})
	if err != nil {
		// The templates are fixed and their data typed: this is a bug.
		r.log.Error("pages: rendering failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	r.SetHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
