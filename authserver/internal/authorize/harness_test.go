package authorize

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/fastsafe/fastsafe/authserver/internal/clientip"
	"github.com/fastsafe/fastsafe/authserver/internal/login"
	"github.com/fastsafe/fastsafe/authserver/internal/pages"
	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/session"
	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/backend"
	"github.com/fastsafe/fastsafe/authserver/internal/testclock"
	"github.com/fastsafe/fastsafe/authserver/internal/throttle"
	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// The harness: the authorization endpoint on a real SQLite store, with the
// real pages, cookies, credential check, throttle and keyring, served over
// loopback to a client with a cookie jar that does not follow redirects,
// as a browser's is. Only the code issuer is a fake: it records what the
// endpoint decided.

const (
	alicePassword = "correct horse battery staple"
	// verifier's S256 challenge (RFC 7636 appendix B).
	challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

type clock = testclock.Clock

// codes records the codes the endpoint decided and makes their values.
type codes struct {
	mu     sync.Mutex
	issued []store.AuthCode
}

func (c *codes) IssueCode(_ context.Context, _ *http.Request, client store.Client, rec store.AuthCode) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rec.ClientID != client.ID {
		return "", fmt.Errorf("code for %q issued to %q", rec.ClientID, client.ID)
	}
	c.issued = append(c.issued, rec)
	return fmt.Sprintf("code-%d", len(c.issued)), nil
}

func (c *codes) last(t *testing.T) store.AuthCode {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.issued) == 0 {
		t.Fatal("no code was issued")
	}
	return c.issued[len(c.issued)-1]
}

type fixture struct {
	srv     *httptest.Server
	issuer  string
	clock   *clock
	store   backend.Store
	codes   *codes
	keyring *signing.Keyring
	logs    *logbuf.Buffer
}

// The harness's clients: app asks for consent, first is first-party
// (skip consent), pw may not use this endpoint.
var harnessClients = []store.Client{
	{ID: "app", Name: `Search <Demo> & "Friends"`, Grants: []string{GrantAuthorizationCode, "refresh_token"},
		Scopes: []string{"search", "admin"}, Audience: []string{"api", "other-api"},
		RedirectURIs:           []string{"https://app.example/cb", "https://app.example/cb2?tenant=a", "http://127.0.0.1/native"},
		PostLogoutRedirectURIs: []string{"https://app.example/bye"}},
	{ID: "first", Grants: []string{GrantAuthorizationCode}, Scopes: []string{"search"}, Audience: []string{"api"},
		RedirectURIs: []string{"https://first.example/cb"}, SkipConsent: true},
	{ID: "pw", Grants: []string{"password"}, Scopes: []string{"search"}, Audience: []string{"api"},
		RedirectURIs: []string{"https://pw.example/cb"}},
}

// newFixture serves the endpoint with the users alice (who may be granted
// search only), bob (no limit) and off (disabled), all with
// alicePassword. An account is locked out after three failures.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	c := testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	logs := &logbuf.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	st, err := backend.Open(ctx, t.TempDir()+"/auth.db", logger, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	hash, err := bcrypt.GenerateFromPassword([]byte(alicePassword), 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []store.User{
		{Username: "alice", Email: "alice@example.com", FullName: "Alice", PasswordHash: hash, Scopes: []string{"search"}},
		{Username: "bob", PasswordHash: hash},
		{Username: "off", PasswordHash: hash, Disabled: true},
	} {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, cl := range harnessClients {
		if err := st.CreateClient(ctx, cl); err != nil {
			t.Fatal(err)
		}
	}
	keyring := signing.NewKeyring(st, signing.Options{Algorithm: signing.ES256, Now: c.Now})
	if err := keyring.Load(ctx); err != nil {
		t.Fatal(err)
	}
	hasher, err := password.NewHasher(4, 0)
	if err != nil {
		t.Fatal(err)
	}
	guard := throttle.New(throttle.Options{
		Account:   throttle.Policy{MaxFailures: 3, Lockout: time.Minute},
		Address:   throttle.Policy{MaxFailures: 20, Lockout: time.Minute},
		Addresses: clientip.New(nil),
		Now:       c.Now,
	})
	renderer, err := pages.New(logger)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{clock: c, store: st, codes: &codes{}, keyring: keyring, logs: logs}
	mux := http.NewServeMux()
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.issuer = f.srv.URL
	cookies, err := session.NewCookies(f.issuer)
	if err != nil {
		t.Fatal(err)
	}
	h := New(Options{Issuer: f.issuer, SessionTTL: 12 * time.Hour, CodeTTL: time.Minute, Now: c.Now, Logger: logger},
		st, f.codes, login.NewChecker(st, hasher, guard, logger), guard, keyring, renderer, cookies)
	mux.HandleFunc("/authorize", h.Authorize)
	mux.HandleFunc("/login", h.Login)
	mux.HandleFunc("/consent", h.Consent)
	mux.HandleFunc("/logout", h.Logout)
	t.Cleanup(func() {
		if out := logs.String(); strings.Contains(out, alicePassword) || strings.Contains(out, "code-") {
			t.Errorf("a password or code reached the log: %s", out)
		}
	})
	return f
}

// browser is a person's browser: a cookie jar, redirects not followed.
type browser struct {
	t      *testing.T
	f      *fixture
	client *http.Client
	// origin is sent as Origin with every form post.
	origin string
}

func (f *fixture) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, f: f, origin: f.issuer, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is an answer: its status, headers and body.
type page struct {
	status int
	header http.Header
	body   string
}

// location is the redirect's target, parsed.
func (p page) location(t *testing.T) *url.URL {
	t.Helper()
	if p.status != http.StatusFound && p.status != http.StatusSeeOther {
		t.Fatalf("status %d, want a redirect; body:\n%s", p.status, p.body)
	}
	u, err := url.Parse(p.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// field returns the value of the form's hidden field name.
func (p page) field(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no field %q on the page:\n%s", name, p.body)
	}
	return html.UnescapeString(m[1])
}

// alert is the page's error message, "" for none.
func (p page) alert() string {
	m := regexp.MustCompile(`role="alert"[^>]*>([^<]*)<`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Header, string(body)}
}

func (b *browser) get(path string, q url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.f.issuer+path+"?"+q.Encode(), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.f.issuer+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	return b.do(req)
}

// submit posts the form of p to path with fields added to its hidden ones.
func (b *browser) submit(p page, path string, fields url.Values) page {
	b.t.Helper()
	form := url.Values{session.CSRFFieldName: {p.field(b.t, session.CSRFFieldName)}, "request": {p.field(b.t, "request")}}
	for k, v := range fields {
		form[k] = v
	}
	return b.post(path, form)
}

// signIn submits the sign-in page p as name with pw.
func (b *browser) signIn(p page, name, pw string) page {
	b.t.Helper()
	return b.submit(p, "/login", url.Values{"username": {name}, "password": {pw}})
}

// request is a valid authorization request of client app, for edit to
// change.
func request(edit func(url.Values)) url.Values {
	q := url.Values{
		"client_id":             {"app"},
		"redirect_uri":          {"https://app.example/cb"},
		"response_type":         {"code"},
		"scope":                 {"openid search"},
		"state":                 {"af0ifjsldkj"},
		"nonce":                 {"n-0S6_WzA2Mj"},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}
	if edit != nil {
		edit(q)
	}
	return q
}

// wantRedirect checks that p sends the person back to the client's
// redirect URI with want (an error code or "code"), the request's state
// and the issuer (RFC 9207).
func wantRedirect(t *testing.T, f *fixture, p page, redirect, state, want string) url.Values {
	t.Helper()
	u := p.location(t)
	q := u.Query()
	base := *u
	base.RawQuery = ""
	if wantBase, _, _ := strings.Cut(redirect, "?"); base.String() != wantBase {
		t.Fatalf("redirected to %s, want %s", u, redirect)
	}
	switch {
	case want == "code":
		if q.Get("code") == "" || q.Has("error") {
			t.Fatalf("redirect %s: want a code", u)
		}
	case q.Get("error") != want:
		t.Fatalf("redirect %s: error %q, want %q", u, q.Get("error"), want)
	}
	if q.Get("state") != state || (state == "" && q.Has("state")) {
		t.Errorf("redirect %s: state %q, want %q", u, q.Get("state"), state)
	}
	if q.Get("iss") != f.issuer {
		t.Errorf("redirect %s: iss %q, want %q", u, q.Get("iss"), f.issuer)
	}
	if p.header.Get("Cache-Control") != "no-store" {
		t.Error("redirect may be cached")
	}
	return q
}

// wantPage checks that p is an HTML page of the server, with the headers
// that keep it out of frames and caches.
func wantPage(t *testing.T, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", p.status, status, p.body)
	}
	if p.header.Get("Location") != "" {
		t.Fatalf("a page that redirects to %s", p.header.Get("Location"))
	}
	h := p.header
	if !strings.HasPrefix(h.Get("Content-Type"), "text/html") || h.Get("X-Frame-Options") != "DENY" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("Cache-Control") != "no-store" {
		t.Errorf("page headers %v", h)
	}
}
