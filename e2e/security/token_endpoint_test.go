package security_test

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// tokenEndpointInput sends hostile requests to POST /token: each gets its
// RFC error, never a 500, and never a token.
func (s *suite) tokenEndpointInput(t *testing.T) {
	tokenURL := s.a.URL + "/token"
	// A client of this table's own, so that the failures it provokes do
	// not count against the clients of other rows.
	formsSecret := s.addClient(t, s.a, "forms", "--grants", "password,refresh_token", "--scopes", "search", "--audience", "search-api")
	web := basic("forms", formsSecret)

	// A client whose secret has every character RFC 6749 §2.3.1 makes
	// clients form-encode in HTTP Basic.
	special := "p:a+s%s&w=o/r?d#" + rand.Text()
	s.secret(special)
	cli(t, s.a, special+"\n", "clients", "add", "special", "--secret-stdin", "--grants", "client_credentials",
		"--scopes", "search", "--audience", "search-api")

	huge := strings.Repeat("x", 1<<20)
	s.secret(huge)
	long := s.password + strings.Repeat("!", 73-len(s.password)) // 73 bytes, starting with the password
	s.secret(long)

	password := func(pairs ...string) string {
		return form(append([]string{"grant_type", "password", "username", "tester", "password", s.password}, pairs...)...)
	}
	rows := []struct {
		name, rfc string
		req       request
		status    int
		code      string // "" with 200: a token
	}{
		{"control: a well-formed password grant", "RFC 6749 §4.3.2",
			request{header: formHeader("Authorization", web), body: password()}, 200, ""},

		// Repeated and misplaced parameters.
		{"grant_type twice", "RFC 6749 §3.2",
			request{header: formHeader("Authorization", web), body: password("grant_type", "client_credentials")}, 400, "invalid_request"},
		{"username twice", "RFC 6749 §3.2",
			request{header: formHeader("Authorization", web), body: password("username", "admin")}, 400, "invalid_request"},
		{"password twice, the right one second", "RFC 6749 §3.2",
			request{header: formHeader("Authorization", web), body: form("grant_type", "password", "username", "tester", "password", "wrong-guess-1234", "password", s.password)}, 400, "invalid_request"},
		{"client_id twice", "RFC 6749 §3.2",
			request{header: formHeader(), body: password("client_id", "forms", "client_id", "forms", "client_secret", formsSecret)}, 400, "invalid_request"},
		{"parameters in the query string", "RFC 6749 §2.3.1, §3.2",
			request{url: tokenURL + "?" + password(), header: formHeader("Authorization", web)}, 400, "invalid_request"},
		{"credentials in Basic and in the body", "RFC 6749 §2.3",
			request{header: formHeader("Authorization", web), body: password("client_id", "forms", "client_secret", formsSecret)}, 400, "invalid_request"},
		{"Basic for one client, client_id of another", "RFC 6749 §2.3",
			request{header: formHeader("Authorization", web), body: password("client_id", "svc")}, 400, "invalid_request"},
		{"two Authorization headers", "RFC 6749 §2.3",
			request{header: formHeader("Authorization", web, "Authorization", web), body: password()}, 400, "invalid_request"},

		// Client secrets with ':', '+', '%' and '&'.
		{"secret with : + % & in Basic, form-encoded", "RFC 6749 §2.3.1",
			request{header: formHeader("Authorization", basic("special", special)), body: form("grant_type", "client_credentials")}, 200, ""},
		{"secret with : + % & in the body, form-encoded", "RFC 6749 §2.3.1",
			request{header: formHeader(), body: form("grant_type", "client_credentials", "client_id", "special", "client_secret", special)}, 200, ""},
		{"secret with : + % & in Basic, not form-encoded", "RFC 6749 §2.3.1",
			request{header: formHeader("Authorization", "Basic "+b64std("special:"+special)), body: form("grant_type", "client_credentials")}, 401, "invalid_client"},
		{"Basic credentials not base64", "RFC 7617 §2",
			request{header: formHeader("Authorization", "Basic !!!"), body: password()}, 401, "invalid_client"},
		{"Bearer instead of client credentials", "RFC 6749 §2.3",
			request{header: formHeader("Authorization", "Bearer abc.def.ghi"), body: password()}, 401, "invalid_client"},

		// Sizes.
		{"1 MB password, refused before it is read whole or hashed", "RFC 9110 §15.5.14",
			request{header: formHeader("Authorization", web), body: password()[:len(password())-len(url.QueryEscape(s.password))] + huge}, 413, "invalid_request"},
		{"73-byte password that starts with the right one: never truncated", "RFC 6749 §4.3.2",
			request{header: formHeader("Authorization", web), body: form("grant_type", "password", "username", "tester", "password", long)}, 400, "invalid_grant"},
		{"100 KB of parameters", "RFC 9110 §15.5.14",
			request{header: formHeader("Authorization", web), body: password("filler", strings.Repeat("y", 100<<10))}, 413, "invalid_request"},

		// Bodies that are not forms.
		{"JSON body", "RFC 6749 §4.3.2",
			request{header: http.Header{"Content-Type": {"application/json"}, "Authorization": {web}},
				body: `{"grant_type":"password","username":"tester","password":"` + s.password + `"}`}, 400, "invalid_request"},
		{"multipart body", "RFC 6749 §4.3.2",
			request{header: http.Header{"Content-Type": {"multipart/form-data; boundary=X"}, "Authorization": {web}},
				body: "--X\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npassword\r\n--X--\r\n"}, 400, "invalid_request"},
		{"form body labelled text/plain", "RFC 6749 §4.3.2",
			request{header: http.Header{"Content-Type": {"text/plain"}, "Authorization": {web}}, body: password()}, 400, "invalid_request"},
		{"form body without a Content-Type", "RFC 6749 §4.3.2",
			request{header: http.Header{"Authorization": {web}}, body: password()}, 400, "invalid_request"},
		{"form in ISO-8859-1", "RFC 6749 Appendix B",
			request{header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=ISO-8859-1"}, "Authorization": {web}}, body: password()}, 400, "invalid_request"},
		{"form with invalid UTF-8", "RFC 6749 Appendix B",
			request{header: formHeader("Authorization", web), body: password() + "&x=%ff%fe"}, 400, "invalid_request"},

		// Methods.
		{"GET", "RFC 6749 §3.2",
			request{method: "GET", url: tokenURL + "?" + password(), header: http.Header{"Authorization": {web}}}, 405, "method_not_allowed"},
		{"PUT", "RFC 6749 §3.2",
			request{method: "PUT", header: formHeader("Authorization", web), body: password()}, 405, "method_not_allowed"},

		// Empty values are omitted values.
		{"empty grant_type", "RFC 6749 §3.1",
			request{header: formHeader("Authorization", web), body: form("grant_type", "", "username", "tester", "password", s.password)}, 400, "invalid_request"},
		{"empty password", "RFC 6749 §3.1",
			request{header: formHeader("Authorization", web), body: form("grant_type", "password", "username", "tester", "password", "")}, 400, "invalid_request"},
		{"empty client_secret of a confidential client", "RFC 6749 §3.1, §2.3.1",
			request{header: formHeader(), body: password("client_id", "forms", "client_secret", "")}, 401, "invalid_client"},
		{"no body at all", "RFC 6749 §4.3.2",
			request{header: formHeader("Authorization", web)}, 400, "invalid_request"},

		// Grants.
		{"unknown grant type", "RFC 6749 §5.2",
			request{header: formHeader("Authorization", web), body: form("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion", "x")}, 400, "unsupported_grant_type"},
		{"authorization_code by a client not registered for it", "RFC 6749 §5.2",
			request{header: formHeader("Authorization", web), body: form("grant_type", "authorization_code", "code", "x")}, 400, "unauthorized_client"},
		{"grant type in upper case", "RFC 6749 §5.2",
			request{header: formHeader("Authorization", web), body: form("grant_type", "PASSWORD", "username", "tester", "password", s.password)}, 400, "unsupported_grant_type"},
		{"password grant by a client not allowed it", "RFC 9700 §2.4, RFC 6749 §5.2",
			request{header: formHeader("Authorization", basic("special", special)), body: password()}, 400, "unauthorized_client"},
		{"confidential client without its secret", "RFC 6749 §2.3.1, §4.4.2",
			request{header: formHeader(), body: form("grant_type", "password", "username", "tester", "password", s.password, "client_id", "forms")}, 401, "invalid_client"},

		// User names.
		{"NUL in the user name", "RFC 8265 §3.3",
			request{header: formHeader("Authorization", web), body: form("grant_type", "password", "username", "tester\x00", "password", s.password)}, 400, "invalid_grant"},
		{"right-to-left override in the user name", "RFC 8265 §3.3",
			request{header: formHeader("Authorization", web), body: form("grant_type", "password", "username", "\u202etester", "password", s.password)}, 400, "invalid_grant"},
		{"user name of 300 bytes", "RFC 8265 §3.3",
			request{header: formHeader("Authorization", web), body: form("grant_type", "password", "username", strings.Repeat("t", 300), "password", s.password)}, 400, "invalid_grant"},
	}
	for _, r := range rows {
		t.Run(r.name+" ["+r.rfc+"]", func(t *testing.T) {
			req := r.req
			if req.url == "" {
				req.url = tokenURL
			}
			req.from = s.newAddr()
			a := s.do(t, req)
			if r.code == "" {
				if a.status != r.status {
					t.Fatalf("want %d, got %v", r.status, a)
				}
				wantSecurityHeaders(t, a)
				s.mustTokens(t, a)
				return
			}
			wantError(t, a, r.status, r.code)
			if strings.Contains(string(a.body), "access_token") {
				t.Fatalf("an error answer carries a token: %s", a.body)
			}
			switch r.status {
			case 401:
				if !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Basic") {
					t.Errorf("401 without a Basic challenge: %v", a.header)
				}
			case 405:
				if a.header.Get("Allow") != "POST" {
					t.Errorf("405 with Allow %q", a.header.Get("Allow"))
				}
			}
		})
	}
}
