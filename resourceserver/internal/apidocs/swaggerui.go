package apidocs

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	swaggerfiles "github.com/swaggo/files/v2"
)

// Files of the embedded Swagger UI distribution that the page loads.
const (
	AssetCSS     = "swagger-ui.css"
	AssetBundle  = "swagger-ui-bundle.js"
	AssetFavicon = "favicon-32x32.png"
)

// InitializerName is the name of the script, generated from the options,
// that starts Swagger UI on the page.
const InitializerName = "swagger-initializer.js"

// RedirectPageName is the page of the Swagger UI distribution that the
// authorization server sends people back to after they sign in: it hands
// the code to the page that opened the sign-in window, and closes it.
const RedirectPageName = "oauth2-redirect.html"

// UIOptions configure the Swagger UI page.
type UIOptions struct {
	// SpecURL is where the page loads the OpenAPI document from,
	// resolved against the page's URL. A relative URL keeps the page
	// working behind a proxy that mounts the server under a path.
	SpecURL string
	// AssetBase is the URL path, relative to the page, under which the
	// Asset and Initializer handlers are mounted, ending in a slash.
	AssetBase string
	// ClientID is the public client the Authorize dialog gets tokens as.
	ClientID string
	// RedirectURL is the absolute URL of the RedirectPage handler: the
	// redirect URI of the authorization code flow, registered for
	// ClientID.
	RedirectURL string
	// Scopes are preselected in the Authorize dialog.
	Scopes []string
	// TokenURL is the token endpoint the page posts to; its origin is
	// allowed by the page's Content-Security-Policy.
	TokenURL string
}

// SwaggerUI serves the Swagger UI page, its initializer script and the
// embedded Swagger UI files it loads.
type SwaggerUI struct {
	page        []byte
	initializer []byte
	csp         string
	files       fs.FS
	// redirectPage is RedirectPageName, served with redirectCSP, which
	// allows its one inline script by hash and nothing else.
	redirectPage []byte
	redirectCSP  string
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fastsafe search API - Swagger UI</title>
<link rel="stylesheet" href="{{.Base}}` + AssetCSS + `">
<link rel="icon" type="image/png" href="{{.Base}}` + AssetFavicon + `">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{{.Base}}` + AssetBundle + `"></script>
<script src="{{.Base}}` + InitializerName + `"></script>
</body>
</html>
`))

// The initializer reads its settings from a JSON literal, so no setting
// can break out of the script.
const initializerTemplate = `"use strict";
window.addEventListener("load", function () {
  var config = %s;
  var ui = SwaggerUIBundle({
    url: config.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    oauth2RedirectUrl: config.redirectUrl
  });
  ui.initOAuth({
    clientId: config.clientId,
    scopes: config.scopes,
    usePkceWithAuthorizationCodeGrant: true
  });
  window.ui = ui;
});
`

// NewSwaggerUI prepares the page for o.
func NewSwaggerUI(o UIOptions) (*SwaggerUI, error) {
	if o.SpecURL == "" || o.ClientID == "" {
		return nil, errors.New("apidocs: Swagger UI needs a spec URL and a client id")
	}
	if o.AssetBase != "" && !strings.HasSuffix(o.AssetBase, "/") {
		return nil, fmt.Errorf("apidocs: asset base %q does not end with a slash", o.AssetBase)
	}
	token, err := url.Parse(o.TokenURL)
	if err != nil || token.Scheme == "" || token.Host == "" {
		return nil, fmt.Errorf("apidocs: token URL %q is not absolute", o.TokenURL)
	}
	if u, err := url.Parse(o.RedirectURL); err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("apidocs: redirect URL %q is not absolute", o.RedirectURL)
	}
	redirectPage, err := fs.ReadFile(swaggerfiles.FS, RedirectPageName)
	if err != nil {
		return nil, fmt.Errorf("apidocs: %w", err)
	}
	script, err := inlineScript(redirectPage)
	if err != nil {
		return nil, fmt.Errorf("apidocs: %s: %w", RedirectPageName, err)
	}
	scriptHash := sha256.Sum256(script)
	var page bytes.Buffer
	if err := pageTemplate.Execute(&page, struct{ Base string }{o.AssetBase}); err != nil {
		return nil, err
	}
	config, err := json.Marshal(struct {
		URL         string `json:"url"`
		ClientID    string `json:"clientId"`
		Scopes      string `json:"scopes"`
		RedirectURL string `json:"redirectUrl"`
	}{o.SpecURL, o.ClientID, strings.Join(o.Scopes, " "), o.RedirectURL})
	if err != nil {
		return nil, err
	}
	return &SwaggerUI{
		page:        page.Bytes(),
		initializer: fmt.Appendf(nil, initializerTemplate, config),
		csp: "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
			"img-src 'self' data:; font-src 'self' data:; " +
			"connect-src 'self' " + token.Scheme + "://" + token.Host + "; " +
			"frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
		files:        swaggerfiles.FS,
		redirectPage: redirectPage,
		redirectCSP: "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(scriptHash[:]) + "'; " +
			"frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
	}, nil
}

// inlineScript returns the text of the one <script> element of page,
// which must have no attributes: what a CSP hash covers.
func inlineScript(page []byte) ([]byte, error) {
	const open, end = "<script>", "</script>"
	_, rest, ok := bytes.Cut(page, []byte(open))
	if !ok {
		return nil, errors.New("no inline script")
	}
	script, rest, ok := bytes.Cut(rest, []byte(end))
	if !ok || bytes.Contains(rest, []byte("<script")) || bytes.Contains(page, []byte("<script ")) {
		return nil, errors.New("not exactly one inline script without attributes")
	}
	return script, nil
}

// Page serves the HTML page.
func (s *SwaggerUI) Page(w http.ResponseWriter, _ *http.Request) {
	writeHTML(w, s.page, s.csp, "no-cache")
}

// RedirectPage serves the page the authorization server sends people
// back to. Its URL carries the authorization code: it is never cached
// and, like every page of the server, sends no referrer.
func (s *SwaggerUI) RedirectPage(w http.ResponseWriter, _ *http.Request) {
	writeHTML(w, s.redirectPage, s.redirectCSP, "no-store")
}

func writeHTML(w http.ResponseWriter, page []byte, csp, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("Cache-Control", cacheControl)
	_, _ = w.Write(page)
}

// Initializer serves the script that starts Swagger UI with the options.
func (s *SwaggerUI) Initializer(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(s.initializer)
}

// Asset returns a handler serving the embedded Swagger UI file name. It
// panics if there is no such file: the names are fixed at build time.
func (s *SwaggerUI) Asset(name string) http.HandlerFunc {
	if _, err := fs.Stat(s.files, name); err != nil {
		panic(fmt.Sprintf("apidocs: no embedded Swagger UI file %q", name))
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		http.ServeFileFS(w, r, s.files, name)
	}
}
