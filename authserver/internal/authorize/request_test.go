package authorize

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRequestsNeverRedirectedTo: a request whose client or redirect URI
// cannot be trusted is answered with a page, never with a redirect (RFC
// 6749 §4.1.2.1, RFC 9700 §4.1.3), whatever the variant of the URI.
func TestRequestsNeverRedirectedTo(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	set := func(k string, v ...string) func(url.Values) { return func(q url.Values) { q[k] = v } }
	tests := []struct {
		name   string
		edit   func(url.Values)
		status int
	}{
		{"no client_id", func(q url.Values) { q.Del("client_id") }, http.StatusBadRequest},
		{"client_id twice", set("client_id", "app", "app"), http.StatusBadRequest},
		{"unknown client", set("client_id", "ghost"), http.StatusBadRequest},
		{"client_id too long", set("client_id", strings.Repeat("a", 300)), http.StatusBadRequest},
		{"no redirect_uri", func(q url.Values) { q.Del("redirect_uri") }, http.StatusBadRequest},
		{"redirect_uri twice", set("redirect_uri", "https://app.example/cb", "https://app.example/cb"), http.StatusBadRequest},
		{"suffix added", set("redirect_uri", "https://app.example/cb/more"), http.StatusBadRequest},
		{"prefix of the registered", set("redirect_uri", "https://app.example/c"), http.StatusBadRequest},
		{"path traversal", set("redirect_uri", "https://app.example/cb/../../evil"), http.StatusBadRequest},
		{"encoded path traversal", set("redirect_uri", "https://app.example/cb/%2e%2e/evil"), http.StatusBadRequest},
		{"userinfo @ before the host", set("redirect_uri", "https://app.example@evil.example/cb"), http.StatusBadRequest},
		{"userinfo @ in the host", set("redirect_uri", "https://evil.example@app.example/cb"), http.StatusBadRequest},
		{"host ending in the registered", set("redirect_uri", "https://evilapp.example/cb"), http.StatusBadRequest},
		{"subdomain", set("redirect_uri", "https://evil.app.example/cb"), http.StatusBadRequest},
		{"fragment", set("redirect_uri", "https://app.example/cb#x"), http.StatusBadRequest},
		{"another port on a non-loopback host", set("redirect_uri", "https://app.example:8443/cb"), http.StatusBadRequest},
		{"scheme downgraded", set("redirect_uri", "http://app.example/cb"), http.StatusBadRequest},
		{"host in capitals", set("redirect_uri", "https://APP.example/cb"), http.StatusBadRequest},
		{"path in capitals", set("redirect_uri", "https://app.example/CB"), http.StatusBadRequest},
		{"another query", set("redirect_uri", "https://app.example/cb2?tenant=b"), http.StatusBadRequest},
		{"loopback with another path", set("redirect_uri", "http://127.0.0.1:4000/other"), http.StatusBadRequest},
		{"localhost for a loopback IP", set("redirect_uri", "http://localhost:4000/native"), http.StatusBadRequest},
		{"another client's redirect URI", set("redirect_uri", "https://first.example/cb"), http.StatusBadRequest},
		{"javascript: URI", set("redirect_uri", "javascript:alert(1)"), http.StatusBadRequest},
		{"many parameters", func(q url.Values) {
			for i := range 100 {
				q.Set("x"+strings.Repeat("x", i), "1")
			}
		}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get("/authorize", request(tt.edit))
			wantPage(t, p, tt.status)
			if strings.Contains(p.body, "evil") {
				t.Error("the page repeats the attacker's URI")
			}
		})
	}
	if len(f.codes.issued) != 0 {
		t.Fatal("a code was issued")
	}
}

// TestRequestErrorsRedirected: every other refusal goes back to the
// client, with the state unchanged and the issuer (RFC 6749 §4.1.2.1, RFC
// 9207), before anyone is asked to sign in.
func TestRequestErrorsRedirected(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	set := func(k string, v ...string) func(url.Values) { return func(q url.Values) { q[k] = v } }
	del := func(k string) func(url.Values) { return func(q url.Values) { q.Del(k) } }
	tests := []struct {
		name  string
		edit  func(url.Values)
		error string
		state string
	}{
		{"no response_type", del("response_type"), "invalid_request", "af0ifjsldkj"},
		{"implicit flow", set("response_type", "token"), "unsupported_response_type", "af0ifjsldkj"},
		{"hybrid flow", set("response_type", "code id_token"), "unsupported_response_type", "af0ifjsldkj"},
		{"response_type twice", set("response_type", "code", "code"), "invalid_request", "af0ifjsldkj"},
		{"fragment response mode", set("response_mode", "fragment"), "invalid_request", "af0ifjsldkj"},
		{"form_post response mode", set("response_mode", "form_post"), "invalid_request", "af0ifjsldkj"},
		{"request object", set("request", "eyJhbGciOiJub25lIn0.e30."), "request_not_supported", "af0ifjsldkj"},
		{"request_uri", set("request_uri", "https://evil.example/r"), "request_uri_not_supported", "af0ifjsldkj"},
		{"client without the grant", func(q url.Values) { q.Set("client_id", "pw"); q.Set("redirect_uri", "https://pw.example/cb") }, "unauthorized_client", "af0ifjsldkj"},
		{"scope the client may not have", set("scope", "openid payments"), "invalid_scope", "af0ifjsldkj"},
		{"scope with a forbidden character", set("scope", `search\`), "invalid_scope", "af0ifjsldkj"},
		{"resource the client may not have", set("resource", "api", "https://evil.example"), "invalid_target", "af0ifjsldkj"},
		{"no PKCE", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "invalid_request", "af0ifjsldkj"},
		{"PKCE plain", set("code_challenge_method", "plain"), "invalid_request", "af0ifjsldkj"},
		{"PKCE method missing (plain by default)", del("code_challenge_method"), "invalid_request", "af0ifjsldkj"},
		{"PKCE challenge malformed", set("code_challenge", strings.Repeat("!", 43)), "invalid_request", "af0ifjsldkj"},
		{"PKCE challenge too short", set("code_challenge", challenge[:42]), "invalid_request", "af0ifjsldkj"},
		{"unknown prompt", set("prompt", "select_account"), "invalid_request", "af0ifjsldkj"},
		{"prompt none with login", set("prompt", "none login"), "invalid_request", "af0ifjsldkj"},
		{"prompt none without a session", set("prompt", "none"), "login_required", "af0ifjsldkj"},
		{"negative max_age", set("max_age", "-1"), "invalid_request", "af0ifjsldkj"},
		{"max_age not a number", set("max_age", "soon"), "invalid_request", "af0ifjsldkj"},
		{"nonce too long", set("nonce", strings.Repeat("n", 600)), "invalid_request", "af0ifjsldkj"},
		{"state twice", set("state", "a", "b"), "invalid_request", ""},
		{"state echoed unchanged", func(q url.Values) { q.Set("state", `a b&c=d"<x>'é`); q.Del("code_challenge") }, "invalid_request", `a b&c=d"<x>'é`},
		{"no state", func(q url.Values) { q.Del("state"); q.Del("code_challenge") }, "invalid_request", ""},
		{"a registered query is kept", func(q url.Values) { q.Set("redirect_uri", "https://app.example/cb2?tenant=a"); q.Del("code_challenge") }, "invalid_request", "af0ifjsldkj"},
		{"loopback on any port", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:51234/native"); q.Del("code_challenge") }, "invalid_request", "af0ifjsldkj"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := request(tt.edit)
			p := b.get("/authorize", q)
			got := wantRedirect(t, f, p, q.Get("redirect_uri"), tt.state, tt.error)
			if strings.HasPrefix(q.Get("redirect_uri"), "https://app.example/cb2") && got.Get("tenant") != "a" {
				t.Errorf("the registered query was dropped: %v", got)
			}
			if u := p.location(t); u.Host != "app.example" && u.Host != "pw.example" && !strings.HasPrefix(u.Host, "127.0.0.1") {
				t.Errorf("redirected to %s", u)
			}
		})
	}
	if len(f.codes.issued) != 0 {
		t.Fatal("a code was issued")
	}
}

// TestPostAuthorize: the request may come as a form post (OpenID Connect
// Core §3.1.2.1); its parameters are checked alike.
func TestPostAuthorize(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	p := b.post("/authorize", request(nil))
	wantPage(t, p, http.StatusOK)
	if !strings.Contains(p.body, `name="password"`) {
		t.Fatal("no sign-in form")
	}
	p = b.post("/authorize", request(func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }))
	wantPage(t, p, http.StatusBadRequest)
	p = b.post("/authorize", request(func(q url.Values) { q.Set("code_challenge_method", "plain") }))
	wantRedirect(t, f, p, "https://app.example/cb", "af0ifjsldkj", "invalid_request")
}
