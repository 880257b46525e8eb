package server_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestTokenEndpointErrors covers every RFC 6749 §5.2 case the token
// endpoint answers, with raw HTTP.
func TestTokenEndpointErrors(t *testing.T) {
	e := start(t)
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	basicWeb := "Basic " + base64.StdEncoding.EncodeToString([]byte("web:"+url.QueryEscape(webSecret)))
	pw := func(user, pass string) string {
		return form("grant_type", "password", "username", user, "password", pass)
	}
	const formType = "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		auth        string
		body        string
		wantStatus  int
		wantError   string
	}{
		{name: "GET token", method: "GET", wantStatus: 405, wantError: "method_not_allowed"},
		{name: "credentials in query", path: "/token?" + pw("tester", userPassword), auth: basicWeb, body: pw("tester", userPassword), wantStatus: 400, wantError: "invalid_request"},
		{name: "missing content type", contentType: "-", auth: basicWeb, body: pw("tester", userPassword), wantStatus: 400, wantError: "invalid_request"},
		{name: "JSON body", contentType: "application/json", auth: basicWeb, body: `{"grant_type":"password"}`, wantStatus: 400, wantError: "invalid_request"},
		{name: "multipart body", contentType: "multipart/form-data; boundary=x", auth: basicWeb, body: "--x--", wantStatus: 400, wantError: "invalid_request"},
		{name: "body over 64 KiB", auth: basicWeb, body: pw("tester", strings.Repeat("a", 70000)), wantStatus: 413, wantError: "invalid_request"},
		{name: "repeated parameter", auth: basicWeb, body: pw("tester", userPassword) + "&username=other", wantStatus: 400, wantError: "invalid_request"},
		{name: "missing grant type", auth: basicWeb, body: form("username", "tester"), wantStatus: 400, wantError: "invalid_request"},
		{name: "unknown grant type", auth: basicWeb, body: form("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), wantStatus: 400, wantError: "unsupported_grant_type"},
		{name: "authorization_code for a client without that grant", auth: basicWeb, body: form("grant_type", "authorization_code", "code", "x"), wantStatus: 400, wantError: "unauthorized_client"},
		{name: "no client authentication", body: pw("tester", userPassword), wantStatus: 401, wantError: "invalid_client"},
		{name: "wrong client secret", auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("web:wrong")), body: pw("tester", userPassword), wantStatus: 401, wantError: "invalid_client"},
		{name: "unknown client", body: pw("tester", userPassword) + "&client_id=ghost&client_secret=x", wantStatus: 401, wantError: "invalid_client"},
		{name: "basic and post credentials", auth: basicWeb, body: pw("tester", userPassword) + "&client_secret=" + url.QueryEscape(webSecret), wantStatus: 400, wantError: "invalid_request"},
		{name: "public client with client_credentials", body: form("grant_type", "client_credentials", "client_id", "docs"), wantStatus: 401, wantError: "invalid_client"},
		{name: "grant not allowed for client", body: form("grant_type", "password", "username", "tester", "password", userPassword, "client_id", "svc", "client_secret", svcSecret), wantStatus: 400, wantError: "unauthorized_client"},
		{name: "missing username", auth: basicWeb, body: form("grant_type", "password", "password", "x"), wantStatus: 400, wantError: "invalid_request"},
		{name: "empty password", auth: basicWeb, body: form("grant_type", "password", "username", "tester", "password", ""), wantStatus: 400, wantError: "invalid_request"},
		{name: "wrong password", auth: basicWeb, body: pw("tester", "nope"), wantStatus: 400, wantError: "invalid_grant"},
		{name: "unknown user", auth: basicWeb, body: pw("nobody", "nope"), wantStatus: 400, wantError: "invalid_grant"},
		{name: "disabled user", auth: basicWeb, body: pw("disabled", userPassword), wantStatus: 400, wantError: "invalid_grant"},
		{name: "password over 72 bytes", auth: basicWeb, body: pw("tester", userPassword+strings.Repeat("x", 72)), wantStatus: 400, wantError: "invalid_grant"},
		{name: "scope not allowed for client", auth: basicWeb, body: pw("tester", userPassword) + "&scope=admin", wantStatus: 400, wantError: "invalid_scope"},
		{name: "scope not allowed for user", auth: basicWeb, body: pw("limited", userPassword) + "&scope=search", wantStatus: 400, wantError: "invalid_scope"},
		{name: "scope with bad characters", auth: basicWeb, body: pw("tester", userPassword) + "&scope=" + url.QueryEscape("se\"arch"), wantStatus: 400, wantError: "invalid_scope"},
		{name: "resource not allowed", auth: basicWeb, body: pw("tester", userPassword) + "&resource=https://evil.example", wantStatus: 400, wantError: "invalid_target"},
		{name: "missing refresh token", auth: basicWeb, body: form("grant_type", "refresh_token"), wantStatus: 400, wantError: "invalid_request"},
		{name: "unknown refresh token", auth: basicWeb, body: form("grant_type", "refresh_token", "refresh_token", "nope"), wantStatus: 400, wantError: "invalid_grant"},
		{name: "huge refresh token", auth: basicWeb, body: form("grant_type", "refresh_token", "refresh_token", strings.Repeat("r", 5000)), wantStatus: 400, wantError: "invalid_grant"},
		{name: "unknown path", method: "GET", path: "/nope", wantStatus: 404, wantError: "not_found"},
		{name: "POST jwks", method: "POST", path: "/.well-known/jwks.json", wantStatus: 405, wantError: "method_not_allowed"},
		{name: "GET introspect", method: "GET", path: "/introspect", wantStatus: 405, wantError: "method_not_allowed"},
		{name: "introspect by public client", path: "/introspect", body: form("token", "x", "client_id", "docs"), wantStatus: 401, wantError: "invalid_client"},
		{name: "introspect without token", path: "/introspect", auth: basicWeb, body: "", wantStatus: 400, wantError: "invalid_request"},
		{name: "revoke without token", path: "/revoke", auth: basicWeb, body: "", wantStatus: 400, wantError: "invalid_request"},
		{name: "revoke without client", path: "/revoke", body: form("token", "x"), wantStatus: 401, wantError: "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, path := tt.method, tt.path
			if method == "" {
				method = "POST"
			}
			if path == "" {
				path = "/token"
			}
			req, err := http.NewRequest(method, e.url+path, bytes.NewBufferString(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			switch tt.contentType {
			case "":
				req.Header.Set("Content-Type", formType)
			case "-":
			default:
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, body := e.do(req)
			if resp.StatusCode != tt.wantStatus || body["error"] != tt.wantError {
				t.Fatalf("got %d %v, want %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantError)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if tt.wantStatus == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without a Basic challenge: %q", resp.Header.Get("WWW-Authenticate"))
			}
			if tt.wantStatus == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
			if strings.Contains(body["error_description"].(string), userPassword) || strings.Contains(body["error_description"].(string), webSecret) {
				t.Errorf("description leaks a secret: %v", body)
			}
		})
	}
}

// TestUnknownUserAndWrongPasswordLookAlike: the bodies are identical byte
// for byte, so a client cannot tell which of the two failed.
func TestUnknownUserAndWrongPasswordLookAlike(t *testing.T) {
	e := start(t)
	raw := func(user string) string {
		req, _ := http.NewRequest("POST", e.url+"/token", strings.NewReader(url.Values{"grant_type": {"password"}, "username": {user}, "password": {"wrong password"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("web", url.QueryEscape(webSecret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.Status + "\n" + b.String()
	}
	known, unknown, disabled := raw("tester"), raw("nobody"), raw("disabled")
	if known != unknown || known != disabled {
		t.Fatalf("answers differ:\n%s\n%s\n%s", known, unknown, disabled)
	}
}

func TestDiscoveryAndJWKS(t *testing.T) {
	e := start(t)
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		resp, body := e.do(mustGet(t, e.url+path))
		if resp.StatusCode != 200 || body["issuer"] != e.url || body["token_endpoint"] != e.url+"/token" ||
			body["jwks_uri"] != e.url+"/.well-known/jwks.json" || body["introspection_endpoint"] != e.url+"/introspect" ||
			body["revocation_endpoint"] != e.url+"/revoke" {
			t.Errorf("%s: %d %v", path, resp.StatusCode, body)
		}
	}
	resp, body := e.do(mustGet(t, e.url+"/.well-known/jwks.json"))
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=") {
		t.Fatalf("jwks: %d %v", resp.StatusCode, resp.Header)
	}
	keys := body["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("keys = %v", keys)
	}
	k := keys[0].(map[string]any)
	if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["kid"] == "" {
		t.Errorf("key = %v", k)
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := k[private]; ok {
			t.Errorf("JWKS publishes private member %q", private)
		}
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		if resp, _ := e.do(mustGet(t, e.url+path)); resp.StatusCode != want {
			t.Errorf("%s = %d", path, resp.StatusCode)
		}
	}
}

func mustGet(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
