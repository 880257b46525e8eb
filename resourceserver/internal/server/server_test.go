package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/fastsafe/fastsafe/internal/logbuf"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// now is the clock of the verifier and of the tokens: fixed, so that no
// test depends on the time it runs.
var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	audience  = "search-api"
	publicURL = "http://localhost:8000"
)

type fixture struct {
	auth    *tokentest.Issuer
	keys    *jwks.Remote
	handler *gin.Engine
	logs    *logbuf.Buffer
}

// newFixture builds the server on a real key set fetched from a stand-in
// authorization server and a real verifier. The keys are not loaded yet
// unless load is true.
func newFixture(t *testing.T, load bool, change ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{auth: tokentest.NewIssuer(), logs: &logbuf.Buffer{}}
	t.Cleanup(f.auth.Close)
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	f.keys, err = jwks.NewRemote(jwks.RemoteOptions{URL: f.auth.JWKSURL(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if load {
		if err := f.keys.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	v, err := verify.New(f.keys, verify.Options{
		Issuer: f.auth.URL, Audience: audience, Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Verifier:     v,
		Keys:         f.keys,
		Issuer:       f.auth.URL,
		Audience:     audience,
		PublicURL:    publicURL,
		TokenURL:     "http://localhost:9096/token",
		DocsClientID: "docs",
		Logger:       logger,
		Now:          func() time.Time { return now },

		AuthorizationURL: "http://localhost:9096/authorize",
	}
	for _, c := range change {
		c(&o)
	}
	f.handler, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) do(t *testing.T, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

func bearerHeader(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("%s differs from the answer (run go test -update after checking the change)\ngot:\n%s", path, got)
	}
}

func TestRoutes(t *testing.T) {
	f := newFixture(t, true)
	search := f.auth.Claims(audience, "search", now)
	service := f.auth.Claims(audience, "search", now)
	service.Subject, service.ClientID = "indexer", "indexer"
	noScope := f.auth.Claims(audience, "profile", now)
	otherAudience := f.auth.Claims("other-api", "search", now)
	expired := f.auth.Claims(audience, "search", now.Add(-time.Hour))
	otherIssuer := f.auth.Claims(audience, "search", now)
	otherIssuer.Issuer = "http://evil.example"

	token := f.auth.Sign(search)
	strangerKey := tokentest.NewKey()

	tests := []struct {
		name      string
		method    string
		target    string
		header    http.Header
		status    int
		body      string // exact JSON body, if set
		errorCode string // the "error" of the JSON body, if set
		challenge []string
		notInBody []string
	}{
		{name: "root is public", method: "GET", target: "/", status: 200,
			body: `{"message":"Welcome to Test App for Security"}`},
		{name: "search without token", method: "GET", target: "/search?query=apple", status: 401,
			challenge: []string{`Bearer realm="search-api"`,
				`resource_metadata="http://localhost:8000/.well-known/oauth-protected-resource"`}},
		{name: "search finds apple", method: "GET", target: "/search?query=apple",
			header: bearerHeader(token), status: 200, body: `{"message":"found apple in search"}`},
		{name: "search misses banana", method: "GET", target: "/search?query=banana",
			header: bearerHeader(token), status: 200, body: `{"message":"banana not found in search"}`},
		{name: "search escapes the query", method: "GET", target: "/search?query=" + url.QueryEscape(`<script>"x"</script>`),
			header: bearerHeader(token), status: 200,
			body:      `{"message":"\u003cscript\u003e\"x\"\u003c/script\u003e not found in search"}`,
			notInBody: []string{"<script>"}},
		{name: "service token", method: "GET", target: "/search?query=apple",
			header: bearerHeader(f.auth.Sign(service)), status: 200, body: `{"message":"found apple in search"}`},
		{name: "scheme is case-insensitive", method: "GET", target: "/search?query=apple",
			header: http.Header{"Authorization": {"bearer " + token}}, status: 200},
		{name: "token without the scope", method: "GET", target: "/search?query=apple",
			header: bearerHeader(f.auth.Sign(noScope)), status: 403, errorCode: "insufficient_scope",
			challenge: []string{`realm="search-api"`, `error="insufficient_scope"`, `scope="search"`}},
		{name: "token for another audience", method: "GET", target: "/search?query=apple",
			header: bearerHeader(f.auth.Sign(otherAudience)), status: 401, errorCode: "invalid_token",
			challenge: []string{`realm="search-api"`, `error="invalid_token"`}},
		{name: "expired token", method: "GET", target: "/search?query=apple",
			header: bearerHeader(f.auth.Sign(expired)), status: 401, errorCode: "invalid_token",
			challenge: []string{`error="invalid_token"`}},
		{name: "token of another issuer", method: "GET", target: "/search?query=apple",
			header: bearerHeader(f.auth.Sign(otherIssuer)), status: 401, errorCode: "invalid_token",
			challenge: []string{`error="invalid_token"`}},
		{name: "token signed by a key not in the set", method: "GET", target: "/search?query=apple",
			header: bearerHeader(tokentest.Sign(strangerKey, tokentest.KeyID, search)), status: 401,
			errorCode: "invalid_token", challenge: []string{`error="invalid_token"`}},
		{name: "token with an unknown kid", method: "GET", target: "/search?query=apple",
			header: bearerHeader(tokentest.Sign(strangerKey, "unknown", search)), status: 401,
			errorCode: "invalid_token", challenge: []string{`error="invalid_token"`}},
		{name: "tampered token", method: "GET", target: "/search?query=apple",
			header: bearerHeader(token[:len(token)-4] + "AAAA"), status: 401,
			errorCode: "invalid_token", challenge: []string{`error="invalid_token"`}},
		{name: "token in the query string is ignored", method: "GET", target: "/search?query=apple&access_token=" + token,
			status: 401, challenge: []string{`Bearer realm="search-api"`}},
		{name: "missing query", method: "GET", target: "/search",
			header: bearerHeader(token), status: 400, errorCode: "invalid_request"},
		{name: "empty query", method: "GET", target: "/search?query=",
			header: bearerHeader(token), status: 400, errorCode: "invalid_request"},
		{name: "repeated query", method: "GET", target: "/search?query=apple&query=pear",
			header: bearerHeader(token), status: 400, errorCode: "invalid_request"},
		{name: "malformed query string", method: "GET", target: "/search?query=%zz",
			header: bearerHeader(token), status: 400, errorCode: "invalid_request"},
		{name: "missing query without token is 401", method: "GET", target: "/search", status: 401,
			challenge: []string{`Bearer realm="search-api"`}},
		{name: "healthz", method: "GET", target: "/healthz", status: 200, body: `{"status":"ok"}`},
		{name: "readyz", method: "GET", target: "/readyz", status: 200, body: `{"status":"ready"}`},
		{name: "unknown route", method: "GET", target: "/nope", status: 404, errorCode: "not_found"},
		{name: "wrong method", method: "POST", target: "/search", status: 405, errorCode: "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, tt.method, tt.target, tt.header)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if tt.body != "" && strings.TrimSpace(rec.Body.String()) != tt.body {
				t.Errorf("body %s, want %s", rec.Body, tt.body)
			}
			for _, s := range tt.notInBody {
				if strings.Contains(rec.Body.String(), s) {
					t.Errorf("body %s contains %q", rec.Body, s)
				}
			}
			if tt.errorCode != "" {
				var body map[string]string
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("error body %s: %v", rec.Body, err)
				}
				if body["error"] != tt.errorCode || body["error_description"] == "" {
					t.Errorf("error body %s, want error %q with a description", rec.Body, tt.errorCode)
				}
			}
			challenge := rec.Header().Get("WWW-Authenticate")
			for _, want := range tt.challenge {
				if !strings.Contains(challenge, want) {
					t.Errorf("WWW-Authenticate %q lacks %q", challenge, want)
				}
			}
			if rec.Code == 401 && len(tt.header) == 0 && strings.Contains(challenge, "error=") {
				t.Errorf("WWW-Authenticate %q has an error code though no credentials came", challenge)
			}
			if rec.Code < 400 && challenge != "" {
				t.Errorf("unexpected WWW-Authenticate %q", challenge)
			}
		})
	}
}

func TestWrongMethodNamesAllowedOnes(t *testing.T) {
	f := newFixture(t, true)
	rec := f.do(t, "DELETE", "/", nil)
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET" {
		t.Errorf("status %d Allow %q, want 405 and GET", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestReadyOnceKeysAreLoaded(t *testing.T) {
	f := newFixture(t, false)
	if rec := f.do(t, "GET", "/readyz", nil); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("before the keys are loaded: status %d, want 503", rec.Code)
	}
	if rec := f.do(t, "GET", "/healthz", nil); rec.Code != http.StatusOK {
		t.Fatalf("healthz before the keys are loaded: status %d, want 200", rec.Code)
	}
	if err := f.keys.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec := f.do(t, "GET", "/readyz", nil); rec.Code != http.StatusOK {
		t.Fatalf("after the keys are loaded: status %d, want 200", rec.Code)
	}
}

func TestDiscoveryDocuments(t *testing.T) {
	f := newFixture(t, true, func(o *Options) {
		// The golden files must not depend on the port of the test's
		// stand-in authorization server.
		o.Issuer = "http://localhost:9096"
	})
	tests := []struct {
		path, golden string
	}{
		{MetadataPath, "oauth-protected-resource.golden.json"},
		{OpenAPIPath, "openapi.golden.json"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			rec := f.do(t, "GET", tt.path, nil)
			if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("status %d Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("invalid JSON: %s", rec.Body)
			}
			golden(t, tt.golden, rec.Body.Bytes())
		})
	}
}

func TestMetadataURL(t *testing.T) {
	tests := []struct{ public, want string }{
		{"http://localhost:8000", "http://localhost:8000/.well-known/oauth-protected-resource"},
		{"https://api.example.com/search-api", "https://api.example.com/.well-known/oauth-protected-resource/search-api"},
	}
	for _, tt := range tests {
		t.Run(tt.public, func(t *testing.T) {
			got, err := MetadataURL(tt.public)
			if err != nil || got != tt.want {
				t.Errorf("MetadataURL(%q) = %q, %v; want %q", tt.public, got, err, tt.want)
			}
		})
	}
	if _, err := MetadataURL("/relative"); err == nil {
		t.Error("a relative public URL was accepted")
	}
}

// Every route is in the OpenAPI document and the document describes no
// route that does not exist. The Swagger UI files are part of /docs.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	f := newFixture(t, true)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(f.do(t, "GET", OpenAPIPath, nil).Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, r := range f.handler.Routes() {
		if strings.HasPrefix(r.Path, DocsPath+"/") {
			continue
		}
		routes = append(routes, r.Method+" "+r.Path)
		if _, ok := doc.Paths[r.Path][strings.ToLower(r.Method)]; !ok {
			t.Errorf("%s %s is not in the OpenAPI document", r.Method, r.Path)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !slices.Contains(routes, strings.ToUpper(method)+" "+path) {
				t.Errorf("the OpenAPI document describes %s %s, which is no route", method, path)
			}
		}
	}
}

var assetRef = regexp.MustCompile(`(?:src|href)="([^"]+)"`)

func TestDocsPageAndItsAssets(t *testing.T) {
	f := newFixture(t, true)
	rec := f.do(t, "GET", DocsPath, nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("status %d Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	page := rec.Body.String()
	if !strings.Contains(page, "swagger-ui-bundle.js") {
		t.Errorf("the page does not load the Swagger UI bundle:\n%s", page)
	}
	if regexp.MustCompile(`(?:src|href)="(?:[a-z]+:)?//`).MatchString(page) {
		t.Errorf("the page loads something from another site:\n%s", page)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "connect-src 'self' http://localhost:9096", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}

	base, _ := url.Parse("http://localhost:8000" + DocsPath)
	refs := assetRef.FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("the page references %d files, want the CSS, the bundle and the initializer", len(refs))
	}
	var initializer string
	for _, m := range refs {
		u, err := base.Parse(m[1])
		if err != nil {
			t.Fatal(err)
		}
		rec := f.do(t, "GET", u.Path, nil)
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Errorf("%s (%s): status %d, %d bytes", m[1], u.Path, rec.Code, rec.Body.Len())
		}
		if strings.HasSuffix(u.Path, ".js") && !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
			t.Errorf("%s: Content-Type %q", u.Path, rec.Header().Get("Content-Type"))
		}
		if strings.HasSuffix(u.Path, "swagger-initializer.js") {
			initializer = rec.Body.String()
		}
	}
	for _, want := range []string{`"url":"openapi.json"`, `"clientId":"docs"`, `"scopes":"search"`,
		`"redirectUrl":"` + publicURL + `/docs/oauth2-redirect.html"`, "oauth2RedirectUrl: config.redirectUrl",
		"ui.initOAuth(", "usePkceWithAuthorizationCodeGrant: true", "persistAuthorization: false"} {
		if !strings.Contains(initializer, want) {
			t.Errorf("the initializer lacks %q:\n%s", want, initializer)
		}
	}
	// The spec URL is relative to the page; it must reach the document.
	spec, _ := base.Parse("openapi.json")
	if rec := f.do(t, "GET", spec.Path, nil); rec.Code != 200 {
		t.Errorf("the page's spec URL %s answers %d", spec.Path, rec.Code)
	}
}

// TestDocsRedirectPage: the page the authorization server sends people
// back to is Swagger UI's own, at the redirect URI the initializer names,
// and its Content-Security-Policy allows its one inline script, by hash,
// and nothing else.
func TestDocsRedirectPage(t *testing.T) {
	f := newFixture(t, true)
	redirect, err := url.Parse(DocsRedirectURL(publicURL))
	if err != nil {
		t.Fatal(err)
	}
	rec := f.do(t, "GET", redirect.Path+"?code=abc&state=xyz", nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: status %d Content-Type %q", redirect.Path, rec.Code, rec.Header().Get("Content-Type"))
	}
	page := rec.Body.String()
	if !strings.Contains(page, "window.opener.swaggerUIRedirectOauth2") {
		t.Errorf("not Swagger UI's redirect page:\n%s", page)
	}
	m := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	if len(m) != 1 {
		t.Fatalf("the page has %d inline scripts, want 1", len(m))
	}
	sum := sha256.Sum256([]byte(m[0][1]))
	want := "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	if got := rec.Header().Get("Content-Security-Policy"); got != want {
		t.Errorf("Content-Security-Policy\n%q\nwant\n%q", got, want)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if got := rec.Header().Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
}

func TestDocsTrailingSlashRedirects(t *testing.T) {
	f := newFixture(t, true)
	rec := f.do(t, "GET", DocsPath+"/", nil)
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != DocsPath {
		t.Errorf("GET /docs/: status %d Location %q, want a redirect to /docs", rec.Code, rec.Header().Get("Location"))
	}
}

// logLines decodes the JSON log lines whose msg is "request".
func logLines(t *testing.T, logs *logbuf.Buffer) []map[string]any {
	t.Helper()
	recs, err := logs.Records()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, m := range recs {
		if m["msg"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

func TestRequestLogNamesTheClientButNoSecret(t *testing.T) {
	f := newFixture(t, true)
	token := f.auth.Sign(f.auth.Claims(audience, "search", now))
	rec := f.do(t, "GET", "/search?query=hunter2", bearerHeader(token))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	f.do(t, "GET", "/search?query=hunter2&access_token="+token, nil)

	logs := f.logs.String()
	for _, secret := range []string{token, token[strings.LastIndex(token, ".")+1:], "hunter2", "Bearer"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs)
		}
	}
	lines := logLines(t, f.logs)
	if len(lines) != 2 {
		t.Fatalf("%d request log lines, want 2:\n%s", len(lines), logs)
	}
	want := map[string]any{"method": "GET", "path": "/search", "route": "/search", "status": 200.0,
		"client_id": "web", "sub": "alice", "remote": "192.0.2.1", "level": "INFO"}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("log %s = %v, want %v", k, lines[0][k], v)
		}
	}
	if _, ok := lines[0]["duration"]; !ok {
		t.Error("the log line has no duration")
	}
	if lines[1]["status"] != 401.0 || lines[1]["client_id"] != nil {
		t.Errorf("refused request logged as %v", lines[1])
	}
}

func TestProbesLogAtDebugLevel(t *testing.T) {
	f := newFixture(t, true)
	f.do(t, "GET", "/healthz", nil)
	lines := logLines(t, f.logs)
	if len(lines) != 1 || lines[0]["level"] != "DEBUG" {
		t.Errorf("healthz logged as %v, want one debug line", lines)
	}
}

func TestTrustedProxies(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		want    string
	}{
		{"none trusted", nil, "192.0.2.1"},
		{"proxy trusted", []string{"192.0.2.0/24"}, "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, true, func(o *Options) { o.TrustedProxies = tt.proxies })
			f.do(t, "GET", "/", http.Header{"X-Forwarded-For": {"203.0.113.7"}})
			lines := logLines(t, f.logs)
			if len(lines) != 1 || lines[0]["remote"] != tt.want {
				t.Errorf("logged %v, want remote %s", lines, tt.want)
			}
		})
	}
}

func TestPanicAnswersJSON500WithoutDetails(t *testing.T) {
	f := newFixture(t, true)
	f.handler.GET("/boom", func(*gin.Context) { panic("database password is swordfish") })
	rec := f.do(t, "GET", "/boom", nil)
	if rec.Code != 500 {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	body := rec.Body.String()
	if strings.TrimSpace(body) != `{"error":"server_error","error_description":"internal error"}` {
		t.Errorf("body %s", body)
	}
	if strings.Contains(body, "swordfish") || strings.Contains(body, "goroutine") {
		t.Errorf("the answer leaks the panic: %s", body)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "handler panic") || !strings.Contains(logs, `"status":500`) {
		t.Errorf("the panic or its request was not logged:\n%s", logs)
	}
}

func TestNewRequiresItsParts(t *testing.T) {
	f := newFixture(t, true)
	tests := []struct {
		name   string
		change func(*Options)
	}{
		{"no verifier", func(o *Options) { o.Verifier = nil }},
		{"no key status", func(o *Options) { o.Keys = nil }},
		{"no logger", func(o *Options) { o.Logger = nil }},
		{"no clock", func(o *Options) { o.Now = nil }},
		{"no audience", func(o *Options) { o.Audience = "" }},
		{"relative public URL", func(o *Options) { o.PublicURL = "/api" }},
		{"relative token URL", func(o *Options) { o.TokenURL = "/token" }},
		{"no authorization URL", func(o *Options) { o.AuthorizationURL = "" }},
		{"no docs client", func(o *Options) { o.DocsClientID = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := verify.New(f.keys, verify.Options{Issuer: f.auth.URL, Audience: audience})
			if err != nil {
				t.Fatal(err)
			}
			o := Options{
				Verifier: v, Keys: f.keys, Issuer: f.auth.URL, Audience: audience,
				PublicURL: publicURL, TokenURL: "http://localhost:9096/token", DocsClientID: "docs",
				AuthorizationURL: "http://localhost:9096/authorize",
				Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now,
			}
			if _, err := New(o); err != nil {
				t.Fatalf("valid options refused: %v", err)
			}
			tt.change(&o)
			if _, err := New(o); err == nil {
				t.Error("New accepted the options")
			}
		})
	}
}
