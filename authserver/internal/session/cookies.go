package session

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"
)

// Cookies names and writes the session and CSRF cookies for one issuer.
type Cookies struct {
	origin  string // scheme://host[:port] of the issuer
	secure  bool
	session string
	csrf    string
}

// NewCookies returns the cookies of issuer, an absolute http or https URL.
func NewCookies(issuer string) (Cookies, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return Cookies{}, err
	}
	c := Cookies{origin: u.Scheme + "://" + u.Host, secure: u.Scheme == "https"}
	prefix := ""
	if c.secure {
		// __Host-: set only by this host, over https, for the whole site.
		prefix = "__Host-"
	}
	c.session = prefix + "fastsafe_session"
	c.csrf = prefix + "fastsafe_csrf"
	return c, nil
}

// SessionName is the name of the session cookie.
func (c Cookies) SessionName() string { return c.session }

// NewValue returns a new random cookie value: 256 bits, base64url.
func NewValue() string { return rand.Text() + rand.Text() }

// Hash is the stored form of a session cookie value.
func Hash(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

func (c Cookies) cookie(name, value string, expires time.Time) *http.Cookie {
	ck := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   c.secure,
		SameSite: http.SameSiteLaxMode,
	}
	if expires.IsZero() {
		ck.MaxAge = -1
		ck.Expires = time.Unix(0, 0)
	} else {
		ck.Expires = expires.UTC()
	}
	return ck
}

// SetSession sets the session cookie to value until expires.
func (c Cookies) SetSession(w http.ResponseWriter, value string, expires time.Time) {
	http.SetCookie(w, c.cookie(c.session, value, expires))
}

// ClearSession removes the session cookie.
func (c Cookies) ClearSession(w http.ResponseWriter) {
	http.SetCookie(w, c.cookie(c.session, "", time.Time{}))
}

// maxValueLen bounds the cookie values read; longer ones are not ours.
const maxValueLen = 128

// Session returns the session cookie's value, if the request has exactly
// one that could be ours.
func (c Cookies) Session(r *http.Request) (string, bool) {
	return c.single(r, c.session)
}

func (c Cookies) single(r *http.Request, name string) (string, bool) {
	var found string
	n := 0
	for _, ck := range r.CookiesNamed(name) {
		found = ck.Value
		n++
	}
	if n != 1 || found == "" || len(found) > maxValueLen {
		return "", false
	}
	return found, true
}

// CSRFFieldName is the form field that carries the CSRF token.
const CSRFFieldName = "csrf_token"

// CSRFToken returns the token for the forms of a page, setting the CSRF
// cookie if the request has none. The cookie lives as long as the
// browser does.
func (c Cookies) CSRFToken(w http.ResponseWriter, r *http.Request) string {
	if v, ok := c.single(r, c.csrf); ok {
		return v
	}
	v := NewValue()
	ck := c.cookie(c.csrf, v, time.Time{})
	ck.MaxAge, ck.Expires = 0, time.Time{} // a browser-session cookie
	http.SetCookie(w, ck)
	return v
}

// CheckForm reports whether a form post comes from this issuer's own
// page: not from another site (Origin, Sec-Fetch-Site), and with the CSRF
// token of its cookie. r's form must have been parsed.
func (c Cookies) CheckForm(r *http.Request, token string) bool {
	if o := r.Header.Get("Origin"); o != "" && o != c.origin {
		return false
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	want, ok := c.single(r, c.csrf)
	if !ok || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1
}

// NewID returns a new public session ID, the "sid" of ID tokens: random,
// and unrelated to the cookie value.
func NewID() string { return rand.Text() }
