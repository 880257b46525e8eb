package session

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCookieAttributes(t *testing.T) {
	tests := []struct {
		issuer      string
		name        string
		secure      bool
		csrfName    string
		wantOrigin  string
		description string
	}{
		{"https://auth.example.com", "__Host-fastsafe_session", true, "__Host-fastsafe_csrf", "https://auth.example.com", "https issuer: __Host- and Secure"},
		{"https://auth.example.com:8443", "__Host-fastsafe_session", true, "__Host-fastsafe_csrf", "https://auth.example.com:8443", "port kept in the origin"},
		{"http://localhost:9096", "fastsafe_session", false, "fastsafe_csrf", "http://localhost:9096", "http issuer: no prefix, not Secure"},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			c, err := NewCookies(tt.issuer)
			if err != nil {
				t.Fatal(err)
			}
			if c.origin != tt.wantOrigin {
				t.Errorf("origin %q, want %q", c.origin, tt.wantOrigin)
			}
			w := httptest.NewRecorder()
			c.SetSession(w, "v", time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			c.CSRFToken(w, r)
			cks := w.Result().Cookies()
			if len(cks) != 2 {
				t.Fatalf("cookies %v", cks)
			}
			for i, want := range []string{tt.name, tt.csrfName} {
				ck := cks[i]
				if ck.Name != want || !ck.HttpOnly || ck.Secure != tt.secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
					t.Errorf("cookie %d: %+v", i, ck)
				}
			}
			if cks[1].MaxAge != 0 || !cks[1].Expires.IsZero() {
				t.Errorf("CSRF cookie should end with the browser: %+v", cks[1])
			}
		})
	}
}

func TestSessionCookieRead(t *testing.T) {
	c, _ := NewCookies("http://localhost:9096")
	tests := []struct {
		name    string
		cookies []string
		ok      bool
	}{
		{"one", []string{"fastsafe_session=abc"}, true},
		{"none", nil, false},
		{"empty", []string{"fastsafe_session="}, false},
		{"two", []string{"fastsafe_session=abc", "fastsafe_session=def"}, false},
		{"too long", []string{"fastsafe_session=" + strings.Repeat("a", maxValueLen+1)}, false},
		{"other name", []string{"__Host-fastsafe_session=abc"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, ck := range tt.cookies {
				r.Header.Add("Cookie", ck)
			}
			if _, ok := c.Session(r); ok != tt.ok {
				t.Errorf("Session ok=%v, want %v", ok, tt.ok)
			}
		})
	}
}

func TestCheckForm(t *testing.T) {
	c, _ := NewCookies("http://localhost:9096")
	const token = "token-value"
	tests := []struct {
		name   string
		cookie string
		field  string
		origin string
		fetch  string
		ok     bool
	}{
		{"same origin", token, token, "http://localhost:9096", "same-origin", true},
		{"no origin header (older browsers)", token, token, "", "", true},
		{"wrong token", token, "other", "http://localhost:9096", "", false},
		{"no token", token, "", "http://localhost:9096", "", false},
		{"no cookie (cross-site POST: SameSite=Lax)", "", token, "", "", false},
		{"other origin", token, token, "http://evil.test", "", false},
		{"other port is another origin", token, token, "http://localhost:8000", "", false},
		{"null origin", token, token, "null", "", false},
		{"cross-site fetch", token, token, "", "cross-site", false},
		{"same-site fetch from another origin", token, token, "", "same-site", false},
		{"prefix of the token", token, token[:5], "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/login", nil)
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: "fastsafe_csrf", Value: tt.cookie})
			}
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.fetch != "" {
				r.Header.Set("Sec-Fetch-Site", tt.fetch)
			}
			if got := c.CheckForm(r, tt.field); got != tt.ok {
				t.Errorf("CheckForm = %v, want %v", got, tt.ok)
			}
		})
	}
}

func TestCSRFTokenReusesCookie(t *testing.T) {
	c, _ := NewCookies("http://localhost:9096")
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: "fastsafe_csrf", Value: "existing"})
	w := httptest.NewRecorder()
	if got := c.CSRFToken(w, r); got != "existing" {
		t.Errorf("token %q", got)
	}
	if len(w.Result().Cookies()) != 0 {
		t.Error("a cookie was set again")
	}
	v1, v2 := NewValue(), NewValue()
	if v1 == v2 || len(v1) < 43 {
		t.Errorf("values %q %q", v1, v2)
	}
}
