package security_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// The relying parties of the sign-in rows, on server a.
const (
	appRedirect = "https://app.example/cb"
	appLogout   = "https://app.example/bye"
)

// signInSetup registers, once, the sign-in clients of server a: app
// (confidential, asks consent) and other (another client's codes), and a
// user who signs in.
func (s *suite) signInSetup(t *testing.T) (appSecret, otherSecret string, ac account) {
	t.Helper()
	appSecret = s.addClient(t, s.a, "app", "--grants", "authorization_code,refresh_token", "--scopes", "search",
		"--audience", "search-api", "--redirect-uris", appRedirect+",http://127.0.0.1/native",
		"--post-logout-redirect-uris", appLogout, "--name", `<script>alert("name")</script><img src=x onerror=alert(1)>`)
	otherSecret = s.addClient(t, s.a, "app2", "--grants", "authorization_code", "--scopes", "search",
		"--audience", "search-api", "--redirect-uris", "https://app2.example/cb", "--skip-consent")
	ac = s.newAccount(t, s.a, "signer")
	return appSecret, otherSecret, ac
}

// browser is a person's browser at server a, from an address of its own.
func (s *suite) browser(t *testing.T) *harness.Browser {
	t.Helper()
	b := harness.NewBrowser(t, s.a.URL)
	b.Header.Set("X-Forwarded-For", s.newAddr())
	return b
}

func pkce() (verifier, challenge string) {
	verifier = rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeURL is a valid request of client app, for edit to change.
func (s *suite) authorizeURL(edit func(url.Values)) string {
	_, challenge := pkce()
	q := url.Values{"client_id": {"app"}, "redirect_uri": {appRedirect}, "response_type": {"code"}, "scope": {"openid search"},
		"state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	if edit != nil {
		edit(q)
	}
	return s.a.URL + "/authorize?" + q.Encode()
}

// wantNoRedirect checks that p is the server's error page, never a way
// out to another site.
func wantNoRedirect(t *testing.T, p harness.Page) {
	t.Helper()
	if p.Location != "" || p.Status != http.StatusBadRequest || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("want the error page, got %d Location %q", p.Status, p.Location)
	}
	wantFrameless(t, p)
}

// wantFrameless checks the headers that keep a page out of frames.
func wantFrameless(t *testing.T, p harness.Page) {
	t.Helper()
	if p.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(p.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("page may be framed: %v", p.Header)
	}
}

// codeOf signs ac in through client (app or app2) with a fresh PKCE pair
// and returns the code and its verifier.
func (s *suite) codeOf(t *testing.T, b *harness.Browser, client, redirect string, ac account) (code, verifier string) {
	t.Helper()
	verifier, challenge := pkce()
	back := b.SignIn(s.authorizeURL(func(q url.Values) {
		q.Set("client_id", client)
		q.Set("redirect_uri", redirect)
		q.Set("code_challenge", challenge)
	}), ac.user, ac.password)
	return back.Query().Get("code"), verifier
}

func (s *suite) exchange(t *testing.T, client, secret, code, redirect, verifier string) answer {
	t.Helper()
	return s.do(t, request{url: s.a.URL + "/token", from: s.newAddr(), header: formHeader("Authorization", basic(client, secret)),
		body: form("grant_type", "authorization_code", "code", code, "redirect_uri", redirect, "code_verifier", verifier)})
}

// signIn attacks the authorization endpoint, its pages and the
// authorization_code grant.
func (s *suite) signIn(t *testing.T) {
	appSecret, otherSecret, ac := s.signInSetup(t)
	s.secret(appSecret)
	s.secret(otherSecret)
	attacker := s.attacker.URL + "/cb"
	rows := []struct {
		name, rfc string
		attack    func(t *testing.T)
	}{
		{"redirect URI variants are never redirected to", "RFC 9700 §4.1.3, RFC 6749 §4.1.2.1", func(t *testing.T) {
			for _, uri := range []string{
				appRedirect + "/more", appRedirect + "x", "https://app.example/c", appRedirect + "/../../evil",
				"https://app.example@evil.example/cb", "https://evil.example@app.example/cb", "https://evil.app.example/cb",
				"https://app.example.evil.example/cb", appRedirect + "#frag", "https://app.example:8443/cb",
				"http://app.example/cb", "https://APP.example/cb", "https://app.example/CB", attacker,
				"http://127.0.0.1:51234/other", "http://localhost:51234/native",
			} {
				wantNoRedirect(t, s.browser(t).Get(s.authorizeURL(func(q url.Values) { q.Set("redirect_uri", uri) })))
			}
			// Loopback IP literals may vary the port, nothing else (RFC 8252 §7.3).
			p := s.browser(t).Get(s.authorizeURL(func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:51234/native") }))
			if p.Location != "" || p.Status != http.StatusOK {
				t.Fatalf("a loopback port was refused: %d %s", p.Status, p.Location)
			}
		}},
		{"no open redirect through an error path", "RFC 9700 §4.11", func(t *testing.T) {
			for _, edit := range []func(url.Values){
				func(q url.Values) { q.Set("client_id", "nobody"); q.Set("redirect_uri", attacker) },
				func(q url.Values) { q.Set("redirect_uri", attacker); q.Set("scope", "admin") },
				func(q url.Values) { q.Set("redirect_uri", attacker); q.Set("response_type", "token") },
				func(q url.Values) { q.Set("redirect_uri", attacker); q.Del("code_challenge") },
				func(q url.Values) { q["redirect_uri"] = []string{appRedirect, attacker} },
			} {
				wantNoRedirect(t, s.browser(t).Get(s.authorizeURL(edit)))
			}
			p := s.browser(t).Get(s.a.URL + "/logout?" + url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {attacker}}.Encode())
			wantNoRedirect(t, p)
		}},
		{"state is sent back unchanged, with the issuer (mix-up)", "RFC 6749 §4.1.2, RFC 9207", func(t *testing.T) {
			state := `a b&c=d"<x>'é` + rand.Text()
			p := s.browser(t).Get(s.authorizeURL(func(q url.Values) { q.Set("state", state); q.Set("prompt", "none") }))
			u, err := url.Parse(p.Location)
			if err != nil || !strings.HasPrefix(p.Location, appRedirect+"?") {
				t.Fatalf("redirect %q", p.Location)
			}
			if got := u.Query(); got.Get("state") != state || got.Get("iss") != s.a.URL || got.Get("error") != "login_required" {
				t.Fatalf("redirect query %v", got)
			}
		}},
		{"PKCE is required, S256 only", "RFC 7636, RFC 9700 §2.1.1", func(t *testing.T) {
			for _, edit := range []func(url.Values){
				func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") },
				func(q url.Values) { q.Set("code_challenge_method", "plain") },
				func(q url.Values) { q.Del("code_challenge_method") },
			} {
				p := s.browser(t).Get(s.authorizeURL(edit))
				if u, _ := url.Parse(p.Location); u == nil || u.Query().Get("error") != "invalid_request" {
					t.Fatalf("want invalid_request, got %d %s", p.Status, p.Location)
				}
			}
			b := s.browser(t)
			code, verifier := s.codeOf(t, b, "app", appRedirect, ac)
			wantError(t, s.exchange(t, "app", appSecret, code, appRedirect, ""), 400, "invalid_grant")
			wantError(t, s.exchange(t, "app", appSecret, code, appRedirect, strings.Repeat("w", 43)), 400, "invalid_grant")
			// The code died with the wrong verifier.
			wantError(t, s.exchange(t, "app", appSecret, code, appRedirect, verifier), 400, "invalid_grant")
		}},
		{"a code works once; its second use revokes what the first issued", "RFC 6749 §4.1.2, RFC 9700 §4.2.4", func(t *testing.T) {
			b := s.browser(t)
			code, verifier := s.codeOf(t, b, "app", appRedirect, ac)
			tk := s.mustTokens(t, s.exchange(t, "app", appSecret, code, appRedirect, verifier))
			if a := s.search(t, s.ra.URL, "Bearer "+tk.Access); a.status != http.StatusOK {
				t.Fatalf("the first use's token does not work: %v", a)
			}
			wantError(t, s.exchange(t, "app", appSecret, code, appRedirect, verifier), 400, "invalid_grant")
			wantError(t, s.do(t, request{url: s.a.URL + "/token", from: s.newAddr(), header: formHeader("Authorization", basic("app", appSecret)),
				body: form("grant_type", "refresh_token", "refresh_token", tk.Refresh)}), 400, "invalid_grant")
			a := s.do(t, request{url: s.a.URL + "/introspect", from: s.newAddr(), header: formHeader("Authorization", basic("app", appSecret)),
				body: form("token", tk.Access)})
			if a.status != 200 || strings.TrimSpace(string(a.body)) != `{"active":false}` {
				t.Fatalf("the first use's access token is still active: %v", a)
			}
		}},
		{"a code issued to another client is refused", "RFC 6749 §4.1.3", func(t *testing.T) {
			b := s.browser(t)
			code, verifier := s.codeOf(t, b, "app2", "https://app2.example/cb", ac)
			wantError(t, s.exchange(t, "app", appSecret, code, "https://app2.example/cb", verifier), 400, "invalid_grant")
			wantError(t, s.exchange(t, "app", appSecret, code, appRedirect, verifier), 400, "invalid_grant")
		}},
		{"login CSRF: a sign-in form posted from another site signs nobody in", "RFC 6749 §10.12, RFC 9700 §4.4", func(t *testing.T) {
			b := s.browser(t)
			p := b.Get(s.authorizeURL(nil))
			evil := s.browser(t)
			evil.Client.Jar = b.Client.Jar
			evil.Origin = "https://evil.example"
			got := evil.Submit(p, url.Values{"username": {ac.user}, "password": {ac.password}})
			if got.Status != http.StatusForbidden || got.Location != "" {
				t.Fatalf("cross-site sign-in: %d %s", got.Status, got.Location)
			}
			// Nor does one without the browser's CSRF cookie.
			fresh := s.browser(t)
			if got := fresh.Submit(p, url.Values{"username": {ac.user}, "password": {ac.password}}); got.Status != http.StatusForbidden {
				t.Fatalf("sign-in without the CSRF cookie: %d", got.Status)
			}
		}},
		{"clickjacking: no page can be framed", "RFC 6749 §10.13", func(t *testing.T) {
			fresh := s.newAccount(t, s.a, "framed")
			b := s.browser(t)
			p := b.Get(s.authorizeURL(nil))
			wantFrameless(t, p)
			consent := b.Submit(p, url.Values{"username": {fresh.user}, "password": {fresh.password}})
			if consent.Kind() != "consent" {
				t.Fatalf("want the consent page, got %s", consent.Kind())
			}
			wantFrameless(t, consent)
			wantFrameless(t, b.Get(s.a.URL+"/logout"))
		}},
		{"HTML injection through the client's name and the query", "OWASP XSS", func(t *testing.T) {
			fresh := s.newAccount(t, s.a, "injected")
			b := s.browser(t)
			p := b.Get(s.authorizeURL(func(q url.Values) { q.Set("login_hint", `"><script>alert(2)</script>`) }))
			consent := b.Submit(p, url.Values{"username": {fresh.user}, "password": {fresh.password}})
			if consent.Kind() != "consent" {
				t.Fatalf("want the consent page, got %s", consent.Kind())
			}
			for _, page := range []harness.Page{p, consent} {
				if strings.Contains(page.Body, "<script") || strings.Contains(page.Body, "<img") {
					t.Fatalf("markup from the client or the query reached the page:\n%s", page.Body)
				}
				if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
					t.Errorf("CSP %q", csp)
				}
			}
		}},
		{"prompt=none without a session never shows a page", "OpenID Connect Core §3.1.2.1", func(t *testing.T) {
			p := s.browser(t).Get(s.authorizeURL(func(q url.Values) { q.Set("prompt", "none") }))
			if u, _ := url.Parse(p.Location); u == nil || u.Query().Get("error") != "login_required" {
				t.Fatalf("got %d %s", p.Status, p.Location)
			}
		}},
		{"a session cookie of another issuer signs nobody in", "RFC 6265bis §8.5", func(t *testing.T) {
			other := harness.NewBrowser(t, s.b.URL)
			s.b.AddClient("app", "--grants", "authorization_code", "--scopes", "search", "--audience", "search-api",
				"--redirect-uris", appRedirect, "--skip-consent")
			_, challenge := pkce()
			other.SignIn(s.b.URL+"/authorize?"+url.Values{"client_id": {"app"}, "redirect_uri": {appRedirect}, "response_type": {"code"},
				"code_challenge": {challenge}, "code_challenge_method": {"S256"}}.Encode(), "tester", s.password)
			bURL, _ := url.Parse(s.b.URL)
			b := s.browser(t)
			aURL, _ := url.Parse(s.a.URL)
			b.Client.Jar.SetCookies(aURL, other.Client.Jar.Cookies(bURL))
			if p := b.Get(s.authorizeURL(nil)); p.Kind() != "sign-in" {
				t.Fatalf("another issuer's session counted here: %s", p.Kind())
			}
		}},
		{"the sign-in page shares the password grant's lockout, and looks the same locked", "RFC 6749 §10.10", func(t *testing.T) {
			victim := s.newAccount(t, s.a, "form-victim")
			b := s.browser(t)
			p := b.Get(s.authorizeURL(nil))
			wrong := b.Submit(p, url.Values{"username": {victim.user}, "password": {s.guess()}})
			for range aLoginMaxFailures - 1 {
				b.Submit(p, url.Values{"username": {victim.user}, "password": {s.guess()}})
			}
			locked := b.Submit(p, url.Values{"username": {victim.user}, "password": {victim.password}})
			if locked.Status != wrong.Status || locked.Body != wrong.Body {
				t.Fatalf("a locked account's right password: %d, want the wrong password's page (%d)", locked.Status, wrong.Status)
			}
			// The password grant sees the same lockout.
			wantError(t, s.login(t, s.a, victim.client, victim.secret, victim.user, victim.password, s.newAddr()), 400, "invalid_grant")
		}},
	}
	for _, r := range rows {
		t.Run(r.name+" ["+r.rfc+"]", r.attack)
	}
}
