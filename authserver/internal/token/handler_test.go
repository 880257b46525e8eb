package token

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestHandlerRefusals: what the handler refuses itself, before any grant
// decides: the request, the grant type, the client and its permission.
func TestHandlerRefusals(t *testing.T) {
	pw := url.Values{"grant_type": {"password"}, "username": {"kelvin"}, "password": {goodPassword}}
	tests := []struct {
		name   string
		client string
		form   url.Values
		want   refusal
	}{
		{"no grant type", "web", url.Values{"username": {"kelvin"}},
			refusal{400, "invalid_request", "grant_type is required"}},
		{"unknown grant type", "web", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}},
			refusal{400, "unsupported_grant_type", "grant_type must be authorization_code, password, client_credentials, refresh_token or urn:ietf:params:oauth:grant-type:token-exchange"}},
		{"authorization_code for a client without that grant", "web", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}},
			refusal{400, "unauthorized_client", "the client may not use the authorization_code grant"}},
		{"no client authentication", "", pw,
			refusal{401, "invalid_client", "client authentication is required"}},
		{"unknown client", "ghost", pw,
			refusal{401, "invalid_client", "client authentication failed"}},
		{"grant the client may not use", "svc", pw,
			refusal{400, "unauthorized_client", "the client may not use the password grant"}},
		{"scope too long", "web", url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Repeat("s", maxScopeLen+1)}},
			refusal{400, "invalid_scope", "scope is too long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			wantRefusal(t, f.post(t, tt.client, tt.form), tt.want)
			wantObserved(t, f.observer, "error token "+tt.want.code)
			if n := f.passwords.verified.Load(); n != 0 {
				t.Errorf("%d bcrypt comparisons", n)
			}
		})
	}
}

// TestHandlerRefusesMalformedRequests: form.Parse's refusals reach the
// client as they are, before the grant type is even read.
func TestHandlerRefusesMalformedRequests(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		name   string
		method string
		target string
		ctype  string
		want   refusal
	}{
		{"GET", "GET", "/token", "", refusal{405, "method_not_allowed", "use POST"}},
		{"query string", "POST", "/token?grant_type=password", "application/x-www-form-urlencoded",
			refusal{400, "invalid_request", "parameters must be sent in the request body, not in the URL"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader("grant_type=password"))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			wantRefusal(t, answer{w.Code, w.Body.String(), w.Header()}, tt.want)
		})
	}
}

// TestHandlerAnswer: the RFC 6749 §5.1 answer, byte for byte apart from
// the tokens.
func TestHandlerAnswer(t *testing.T) {
	f := newFixture(t)
	a := f.post(t, "svc", url.Values{"grant_type": {"client_credentials"}})
	resp, _ := issued(t, a)
	want := `{"access_token":"` + resp.AccessToken + `","token_type":"Bearer","expires_in":60,"scope":"search"}` + "\n"
	if a.body != want {
		t.Errorf("body\n%s\nwant\n%s", a.body, want)
	}
	for h, v := range map[string]string{"Content-Type": "application/json;charset=UTF-8", "Cache-Control": "no-store", "Pragma": "no-cache"} {
		if a.header.Get(h) != v {
			t.Errorf("%s = %q, want %q", h, a.header.Get(h), v)
		}
	}
	if a.status != http.StatusOK {
		t.Errorf("status %d", a.status)
	}
}
