package authorize

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/session"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// TestSignInConsentCode: the whole flow of a person who has no session:
// the sign-in page, the consent page in words, then the code, bound to
// everything the request and the sign-in decided.
func TestSignInConsentCode(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	q := request(func(q url.Values) {
		q.Set("scope", "openid profile search")
		q.Set("login_hint", "alice")
		q.Add("resource", "api")
	})
	p := b.get("/authorize", q)
	wantPage(t, p, http.StatusOK)
	for _, want := range []string{`Search &lt;Demo&gt; &amp; &#34;Friends&#34;`, `value="alice"`, `autocomplete="current-password"`, `<label for="password">`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("sign-in page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "<Demo>") {
		t.Error("the client's name is not escaped")
	}

	p = b.signIn(p, "alice", alicePassword)
	wantPage(t, p, http.StatusOK)
	for _, want := range []string{"Know who you are on this site", "See your name and username", "Search on your behalf", "Signed in as <strong>alice</strong>", "app.example"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	p = b.submit(p, "/consent", url.Values{"decision": {"allow"}})
	got := wantRedirect(t, f, p, "https://app.example/cb", "af0ifjsldkj", "code")
	if p.status != http.StatusSeeOther {
		t.Errorf("redirect after a form post is %d, want 303", p.status)
	}
	c := f.codes.last(t)
	if got.Get("code") != "code-1" || c.ClientID != "app" || c.Subject != "alice" || c.RedirectURI != "https://app.example/cb" ||
		c.CodeChallenge != challenge || c.Nonce != "n-0S6_WzA2Mj" || !slices.Equal(c.Scopes, []string{"openid", "profile", "search"}) ||
		!slices.Equal(c.Audience, []string{"api"}) || c.SessionID == "" || c.FamilyID == "" ||
		!c.AuthTime.Equal(f.clock.Now()) || !c.ExpiresAt.Equal(f.clock.Now().Add(time.Minute)) {
		t.Fatalf("code decided %+v", c)
	}
	sess, err := f.store.GetSession(context.Background(), c.SessionID)
	if err != nil || sess.Subject != "alice" {
		t.Fatalf("the code's session: %+v, %v", sess, err)
	}
	consent, err := f.store.GetConsent(context.Background(), "alice", "app")
	if err != nil || !slices.Equal(consent.Scopes, []string{"openid", "profile", "search"}) {
		t.Fatalf("consent remembered: %+v, %v", consent, err)
	}

	// Single sign-on: the same person, another request, no page at all.
	p = b.get("/authorize", q)
	wantRedirect(t, f, p, "https://app.example/cb", "af0ifjsldkj", "code")
	if f.codes.last(t).SessionID != c.SessionID {
		t.Error("single sign-on made a new session")
	}
	// A first-party client signs the person in without asking anything.
	p = b.get("/authorize", request(func(q url.Values) {
		q.Set("client_id", "first")
		q.Set("redirect_uri", "https://first.example/cb")
	}))
	wantRedirect(t, f, p, "https://first.example/cb", "af0ifjsldkj", "code")
	// A scope not consented to yet is asked for.
	p = b.get("/authorize", request(func(q url.Values) { q.Set("scope", "openid email search") }))
	wantPage(t, p, http.StatusOK)
	if !strings.Contains(p.body, "See your email address") {
		t.Fatal("no consent page for a new scope")
	}
}

// TestSessionCookie: the session cookie is HttpOnly, SameSite=Lax, for the
// whole site, and replaced at every sign-in (no session fixation).
func TestSessionCookie(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	// A session chosen before sign-in, as an attacker would plant it.
	u, _ := url.Parse(f.issuer)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: "fastsafe_session", Value: "planted-by-an-attacker", Path: "/"}})
	p := b.get("/authorize", request(func(q url.Values) {
		q.Set("client_id", "first")
		q.Set("redirect_uri", "https://first.example/cb")
	}))
	p = b.signIn(p, "alice", alicePassword)
	wantRedirect(t, f, p, "https://first.example/cb", "af0ifjsldkj", "code")
	var set *http.Cookie
	for _, line := range p.header.Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(line)
		if err == nil && ck.Name == "fastsafe_session" {
			set = ck
		}
	}
	if set == nil || !set.HttpOnly || set.SameSite != http.SameSiteLaxMode || set.Path != "/" || set.Value == "planted-by-an-attacker" ||
		set.Expires.Sub(f.clock.Now()) != 12*time.Hour {
		t.Fatalf("session cookie %+v", set)
	}
	if _, err := f.store.GetSessionByCookie(context.Background(), session.Hash(set.Value)); err != nil {
		t.Fatalf("the cookie's session: %v", err)
	}
	// Signing in again replaces the session.
	p = b.get("/authorize", request(func(q url.Values) {
		q.Set("client_id", "first")
		q.Set("redirect_uri", "https://first.example/cb")
		q.Set("prompt", "login")
	}))
	first := f.codes.last(t).SessionID
	p = b.signIn(p, "alice", alicePassword)
	wantRedirect(t, f, p, "https://first.example/cb", "af0ifjsldkj", "code")
	if f.codes.last(t).SessionID == first {
		t.Fatal("a sign-in kept the old session")
	}
	if _, err := f.store.GetSession(context.Background(), first); err == nil {
		t.Fatal("the old session still exists")
	}
}

// TestFailedSignInsLookAlike: an unknown user, a wrong password, a
// disabled user and a locked-out account get the same page, and no
// session.
func TestFailedSignInsLookAlike(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	first := b.get("/authorize", request(nil))
	wrong := b.signIn(first, "alice", "wrong password")
	wantPage(t, wrong, http.StatusUnauthorized)
	if wrong.alert() != "Wrong username or password." {
		t.Fatalf("alert %q", wrong.alert())
	}
	// The pages differ only in the name typed, which the form keeps.
	typed := regexp.MustCompile(`(id="username"[^>]*) value="[^"]*"`)
	normalise := func(p page, _ string) string { return typed.ReplaceAllString(p.body, "$1") }
	for _, tc := range []struct{ name, pw string }{
		{"nobody", alicePassword},
		{"off", alicePassword},
		{"alice", strings.Repeat("p", 100)},
	} {
		p := b.signIn(first, tc.name, tc.pw)
		if p.status != wrong.status || normalise(p, tc.name) != normalise(wrong, "alice") {
			t.Errorf("%s: page differs from a wrong password's:\n%s", tc.name, p.body)
		}
	}
	// A name too long to be real is not even shown back.
	if p := b.signIn(first, strings.Repeat("x", 300), alicePassword); p.status != wrong.status || p.alert() != wrong.alert() ||
		strings.Contains(p.body, "xxxx") {
		t.Errorf("a name too long: %d %q", p.status, p.alert())
	}
	// Three failures lock alice out: now even her password fails alike.
	b.signIn(first, "alice", "wrong again")
	b.signIn(first, "alice", "and again")
	p := b.signIn(first, "alice", alicePassword)
	if p.status != wrong.status || p.body != wrong.body {
		t.Errorf("a locked-out account's right password: %d\n%s", p.status, p.body)
	}
	f.clock.Advance(2 * time.Minute)
	p = b.signIn(first, "alice", alicePassword)
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="allow"`) {
		t.Fatalf("after the lockout: %d\n%s", p.status, p.body)
	}
	if len(f.codes.issued) != 0 {
		t.Fatal("a code was issued")
	}
}

// TestLoginCSRF: a sign-in form posted from another site, without the
// CSRF cookie, or with another token, signs nobody in (login CSRF).
func TestLoginCSRF(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		send func(b *browser, p page) page
	}{
		{"another origin", func(b *browser, p page) page {
			b.origin = "https://evil.example"
			return b.signIn(p, "alice", alicePassword)
		}},
		{"no token", func(b *browser, p page) page {
			return b.post("/login", url.Values{"request": {p.field(t, "request")}, "username": {"alice"}, "password": {alicePassword}})
		}},
		{"another token", func(b *browser, p page) page {
			return b.post("/login", url.Values{session.CSRFFieldName: {"forged"}, "request": {p.field(t, "request")},
				"username": {"alice"}, "password": {alicePassword}})
		}},
		{"no CSRF cookie (a cross-site post)", func(b *browser, p page) page {
			fresh := b.f.browser(t)
			return fresh.signIn(p, "alice", alicePassword)
		}},
		{"cross-site fetch", func(b *browser, p page) page {
			req, _ := http.NewRequest(http.MethodPost, b.f.issuer+"/login", strings.NewReader(url.Values{
				session.CSRFFieldName: {p.field(t, session.CSRFFieldName)}, "request": {p.field(t, "request")},
				"username": {"alice"}, "password": {alicePassword}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			return b.do(req)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := f.browser(t)
			p := tt.send(b, b.get("/authorize", request(nil)))
			wantPage(t, p, http.StatusForbidden)
			for _, line := range p.header.Values("Set-Cookie") {
				if strings.HasPrefix(line, "fastsafe_session=") {
					t.Fatal("a session was started")
				}
			}
		})
	}
	// The consent form too.
	b := f.browser(t)
	p := b.signIn(b.get("/authorize", request(nil)), "alice", alicePassword)
	b.origin = "https://evil.example"
	wantPage(t, b.submit(p, "/consent", url.Values{"decision": {"allow"}}), http.StatusForbidden)
	if len(f.codes.issued) != 0 {
		t.Fatal("a code was issued")
	}
}

// TestPromptsAndMaxAge: prompt=none never shows a page, prompt=login and
// an exceeded max_age ask for the password again, prompt=consent asks
// again, and a denial goes back as access_denied.
func TestPromptsAndMaxAge(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	with := func(k, v string) url.Values { return request(func(q url.Values) { q.Set(k, v) }) }

	p := b.signIn(b.get("/authorize", request(nil)), "alice", alicePassword)
	wantRedirect(t, f, b.submit(p, "/consent", url.Values{"decision": {"deny"}}), "https://app.example/cb", "af0ifjsldkj", "access_denied")
	wantRedirect(t, f, b.get("/authorize", with("prompt", "none")), "https://app.example/cb", "af0ifjsldkj", "consent_required")

	p = b.get("/authorize", request(nil))
	wantRedirect(t, f, b.submit(p, "/consent", url.Values{"decision": {"allow"}}), "https://app.example/cb", "af0ifjsldkj", "code")
	wantRedirect(t, f, b.get("/authorize", with("prompt", "none")), "https://app.example/cb", "af0ifjsldkj", "code")

	p = b.get("/authorize", with("prompt", "consent"))
	wantPage(t, p, http.StatusOK)
	if !strings.Contains(p.body, `value="allow"`) {
		t.Fatal("prompt=consent did not ask")
	}
	wantRedirect(t, f, b.submit(p, "/consent", url.Values{"decision": {"allow"}}), "https://app.example/cb", "af0ifjsldkj", "code")

	p = b.get("/authorize", with("prompt", "login"))
	if !strings.Contains(p.body, `name="password"`) {
		t.Fatal("prompt=login did not ask for the password")
	}
	f.clock.Advance(10 * time.Minute)
	wantRedirect(t, f, b.get("/authorize", with("max_age", "3600")), "https://app.example/cb", "af0ifjsldkj", "code")
	p = b.get("/authorize", with("max_age", "60"))
	if !strings.Contains(p.body, `name="password"`) {
		t.Fatal("an exceeded max_age did not ask for the password")
	}
	wantRedirect(t, f, b.get("/authorize", request(func(q url.Values) { q.Set("max_age", "60"); q.Set("prompt", "none") })),
		"https://app.example/cb", "af0ifjsldkj", "login_required")
	p = b.signIn(p, "alice", alicePassword)
	wantRedirect(t, f, p, "https://app.example/cb", "af0ifjsldkj", "code")
	if !f.codes.last(t).AuthTime.Equal(f.clock.Now()) {
		t.Error("auth_time is not the new sign-in's")
	}
	// The session ends with its lifetime.
	f.clock.Advance(13 * time.Hour)
	wantRedirect(t, f, b.get("/authorize", with("prompt", "none")), "https://app.example/cb", "af0ifjsldkj", "login_required")
}

// TestPersonScopes: a person is never granted an API scope beyond their
// own; OpenID Connect scopes are about them and always allowed; a person
// disabled since signing in is asked to sign in again.
func TestPersonScopes(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	p := b.signIn(b.get("/authorize", request(func(q url.Values) { q.Set("scope", "openid admin") })), "alice", alicePassword)
	wantRedirect(t, f, p, "https://app.example/cb", "af0ifjsldkj", "invalid_scope")
	p = b.get("/authorize", request(func(q url.Values) { q.Set("scope", "openid profile email search") }))
	if !strings.Contains(p.body, `value="allow"`) {
		t.Fatalf("consent page expected:\n%s", p.body)
	}
	err := f.store.UpdateUser(context.Background(), "alice", func(u store.User) (store.User, error) { u.Disabled = true; return u, nil })
	if err != nil {
		t.Fatal(err)
	}
	p = b.get("/authorize", request(nil))
	if !strings.Contains(p.body, `name="password"`) {
		t.Fatalf("a disabled person's session still counts:\n%s", p.body)
	}
}
