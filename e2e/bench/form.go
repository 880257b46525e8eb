package bench

import (
	"errors"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
)

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// PageForm returns the action and the hidden fields of the first form of
// one of the authorization server's pages (sign-in, consent), as its
// templates write them.
func PageForm(page string) (action string, hidden url.Values, err error) {
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		return "", nil, errors.New("bench: no form on the page")
	}
	hidden = url.Values{}
	for _, f := range hiddenInput.FindAllStringSubmatch(page, -1) {
		hidden.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	return html.UnescapeString(m[1]), hidden, nil
}

// WithCookies returns a client like c (its connections, timeout and
// redirect policy) with a cookie jar of its own: a fresh browser.
func WithCookies(c *http.Client) (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: c.Transport, Jar: jar, Timeout: c.Timeout, CheckRedirect: c.CheckRedirect}, nil
}
