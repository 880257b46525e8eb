package pages

import (
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func newRenderer(t *testing.T) *Renderer {
	t.Helper()
	r, err := New(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const hostile = `"><script>alert(1)</script><img src=x onerror=alert(2)>`

func TestPagesEscapeAndHeaders(t *testing.T) {
	r := newRenderer(t)
	tests := []struct {
		name   string
		status int
		render func(w http.ResponseWriter)
		want   []string
	}{
		{"login", http.StatusOK, func(w http.ResponseWriter) {
			r.Login(w, http.StatusOK, Login{ClientName: hostile, Username: hostile, Action: "/login", CSRF: hostile, Request: hostile})
		}, []string{`<label for="username">`, `<label for="password">`, `autocomplete="current-password"`, `method="post"`}},
		{"login failed", http.StatusBadRequest, func(w http.ResponseWriter) {
			r.Login(w, http.StatusBadRequest, Login{ClientName: "Demo", Error: hostile, Action: "/login"})
		}, []string{`role="alert"`, `aria-describedby="form-error"`}},
		{"consent", http.StatusOK, func(w http.ResponseWriter) {
			r.Consent(w, Consent{ClientName: hostile, Unverified: true, Username: hostile, Scopes: DescribeScopes([]string{"search", hostile}),
				RedirectHost: hostile, Action: "/consent"})
		}, []string{"Search on your behalf", `value="allow"`, `value="deny"`, "unverified"}},
		{"error", http.StatusBadRequest, func(w http.ResponseWriter) {
			r.Error(w, http.StatusBadRequest, Error{Title: hostile, Message: hostile, Hint: hostile})
		}, []string{`role="alert"`}},
		{"logout", http.StatusOK, func(w http.ResponseWriter) {
			r.Logout(w, Logout{Username: hostile, Action: "/logout", Hidden: []Hidden{{Name: "state", Value: hostile}}})
		}, []string{`name="state"`}},
		{"signed out", http.StatusOK, func(w http.ResponseWriter) { r.SignedOut(w) }, []string{"You have signed out"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			tt.render(w)
			body := w.Body.String()
			if w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, bad := range []string{"<script", "<img"} {
				if strings.Contains(body, bad) {
					t.Errorf("page contains unescaped %q", bad)
				}
			}
			if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
				t.Error("page refers to another origin")
			}
			h := w.Header()
			for k, v := range map[string]string{
				"Content-Type":    "text/html; charset=utf-8",
				"Cache-Control":   "no-store",
				"X-Frame-Options": "DENY",
				// Not no-referrer: browsers then post forms with
				// "Origin: null", which the CSRF check refuses.
				"Referrer-Policy": "same-origin",
			} {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'none'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %q", csp, d)
				}
			}
			if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP %q allows script or inline code", csp)
			}
		})
	}
}

// TestInlineStyleMatchesCSP: the browser applies the inline style sheet
// only if its hash is the one the policy names.
func TestInlineStyleMatchesCSP(t *testing.T) {
	r := newRenderer(t)
	w := httptest.NewRecorder()
	r.SignedOut(w)
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(w.Body.String())
	if m == nil {
		t.Fatal("no inline style")
	}
	sum := sha256.Sum256([]byte(m[1]))
	want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, want) {
		t.Errorf("CSP %q lacks %q", csp, want)
	}
}

func TestDescribeScopes(t *testing.T) {
	got := DescribeScopes([]string{"search", "openid", "calendar.read"})
	want := []ScopeText{
		{"search", "Search on your behalf"},
		{"openid", "Know who you are on this site"},
		{"calendar.read", "Use the permission “calendar.read”"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: got %v, want %v", i, got[i], want[i])
		}
	}
}
