package harness

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/e2e/bench"
)

// Browser is a person's browser at the auth server's sign-in pages, as
// far as HTTP goes: a cookie jar, forms posted with their hidden fields
// and the page's origin, redirects followed only on the auth server.
type Browser struct {
	t      testing.TB
	issuer string
	Client *http.Client
	// Header is added to every request, such as X-Forwarded-For.
	Header http.Header
	// Origin is sent with form posts; the issuer's by default.
	Origin string
}

// NewBrowser returns a browser for the auth server at issuer.
func NewBrowser(t testing.TB, issuer string) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Browser{t: t, issuer: issuer, Origin: issuer, Header: http.Header{}, Client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Page is one answer the browser got.
type Page struct {
	URL      string
	Status   int
	Header   http.Header
	Body     string
	Location string // of a redirect
}

// Get fetches u.
func (b *Browser) Get(u string) Page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// Submit posts the form of p (action, hidden fields) with fields added.
func (b *Browser) Submit(p Page, fields url.Values) Page {
	b.t.Helper()
	action, form, err := bench.PageForm(p.Body)
	if err != nil {
		b.t.Fatalf("%v: %s:\n%s", err, p.URL, p.Body)
	}
	for k, v := range fields {
		form[k] = v
	}
	req, err := http.NewRequest(http.MethodPost, action, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if b.Origin != "" {
		req.Header.Set("Origin", b.Origin)
	}
	return b.do(req)
}

func (b *Browser) do(req *http.Request) Page {
	b.t.Helper()
	for k, vs := range b.Header {
		req.Header[k] = vs
	}
	resp, err := b.Client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return Page{URL: req.URL.String(), Status: resp.StatusCode, Header: resp.Header, Body: string(body), Location: resp.Header.Get("Location")}
}

// Kind tells the server's pages apart.
func (p Page) Kind() string {
	switch {
	case p.Location != "":
		return "redirect"
	case strings.Contains(p.Body, `name="password"`):
		return "sign-in"
	case strings.Contains(p.Body, `value="allow"`):
		return "consent"
	default:
		return fmt.Sprintf("page %d", p.Status)
	}
}

// SignIn follows authorizeURL as a person would: signs in as user with
// password if asked, allows if asked, and returns the URL the server
// finally redirects to outside itself, the client's redirect URI.
func (b *Browser) SignIn(authorizeURL, user, password string) *url.URL {
	b.t.Helper()
	p := b.Get(authorizeURL)
	for range 5 {
		switch p.Kind() {
		case "sign-in":
			p = b.Submit(p, url.Values{"username": {user}, "password": {password}})
		case "consent":
			p = b.Submit(p, url.Values{"decision": {"allow"}})
		case "redirect":
			u, err := url.Parse(p.Location)
			if err != nil {
				b.t.Fatal(err)
			}
			if !strings.HasPrefix(p.Location, b.issuer+"/") {
				return u
			}
			p = b.Get(p.Location)
		default:
			b.t.Fatalf("unexpected %s at %s:\n%s", p.Kind(), p.URL, p.Body)
		}
	}
	b.t.Fatalf("no way out of the sign-in pages after %s", p.URL)
	return nil
}
