package apidocs

import (
	"bytes"
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
    layout: "BaseLayout"
  });
  ui.initOAuth({ clientId: config.clientId, scopes: config.scopes });
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
	var page bytes.Buffer
	if err := pageTemplate.Execute(&page, struct{ Base string }{o.AssetBase}); err != nil {
		return nil, err
	}
	config, err := json.Marshal(struct {
		URL      string `json:"url"`
		ClientID string `json:"clientId"`
		Scopes   string `json:"scopes"`
	}{o.SpecURL, o.ClientID, strings.Join(o.Scopes, " ")})
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
		files: swaggerfiles.FS,
	}, nil
}

// Page serves the HTML page.
func (s *SwaggerUI) Page(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", s.csp)
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(s.page)
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
