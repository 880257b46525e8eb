package e2e_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// postForm posts form to url and decodes the JSON answer.
func postForm(t testing.TB, u string, form url.Values, header http.Header) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header, body
}

func withAssertion(f url.Values, assertion string) url.Values {
	f.Set("client_assertion_type", harness.ClientAssertionType)
	f.Set("client_assertion", assertion)
	return f
}

// TestPrivateKeyJWT: a client with no secret authenticates at /token,
// /introspect and /revoke with assertions it signs; each assertion works
// once.
func TestPrivateKeyJWT(t *testing.T) {
	auth := harness.StartAuth(t, harness.AuthOptions{})
	key := harness.NewServiceKey(t, "svc-a-1", jose.EdDSA)
	out := auth.AddClient("svc-a", "--grants", "client_credentials", "--scopes", "search", "--audience", "search-api", "--jwks", harness.JWKSFile(t, key))
	if !strings.Contains(out, "signed assertions") {
		t.Fatalf("clients add printed %q", out)
	}
	tokenURL := auth.URL + "/token"

	a := key.Assertion(t, "svc-a", tokenURL, time.Minute)
	status, _, body := postForm(t, tokenURL, withAssertion(url.Values{"grant_type": {"client_credentials"}}, a), nil)
	if status != 200 || body["access_token"] == nil {
		t.Fatalf("client_credentials with an assertion: %d %v", status, body)
	}
	access := body["access_token"].(string)
	status, _, body = postForm(t, tokenURL, withAssertion(url.Values{"grant_type": {"client_credentials"}}, a), nil)
	if status != 401 || body["error"] != "invalid_client" {
		t.Fatalf("replayed assertion: %d %v", status, body)
	}

	status, _, body = postForm(t, auth.URL+"/introspect", withAssertion(url.Values{"token": {access}}, key.Assertion(t, "svc-a", auth.URL, time.Minute)), nil)
	if status != 200 || body["active"] != true || body["client_id"] != "svc-a" {
		t.Fatalf("introspection with an assertion: %d %v", status, body)
	}
	status, _, _ = postForm(t, auth.URL+"/revoke", withAssertion(url.Values{"token": {access}}, key.Assertion(t, "svc-a", auth.URL+"/revoke", time.Minute)), nil)
	if status != 200 {
		t.Fatalf("revocation with an assertion: %d", status)
	}
	_, _, body = postForm(t, auth.URL+"/introspect", withAssertion(url.Values{"token": {access}}, key.Assertion(t, "svc-a", tokenURL, time.Minute)), nil)
	if body["active"] != false {
		t.Fatalf("revoked token introspects as %v", body)
	}

	var meta map[string]any
	resp, err := http.Get(auth.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if !strings.Contains(listString(meta["token_endpoint_auth_methods_supported"]), "private_key_jwt") ||
		!strings.Contains(listString(meta["token_endpoint_auth_signing_alg_values_supported"]), "EdDSA") {
		t.Fatalf("metadata does not advertise private_key_jwt: %v", meta)
	}
}

func listString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// platform is a fake workload identity issuer on loopback (a Kubernetes
// cluster, a CI system): its own key, its discovery document and key set.
type platform struct {
	*httptest.Server
	key harness.ServiceKey
}

func newPlatform(t testing.TB) *platform {
	p := &platform{key: harness.NewServiceKey(t, "platform-key-1", jose.ES256)}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.URL, "jwks_uri": p.URL + "/openid/v1/jwks"})
		case "/openid/v1/jwks":
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{p.key.JWK()}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

// token is a workload token for sub and aud, as the platform mounts it.
func (p *platform) token(t testing.TB, sub, aud string, lifetime time.Duration) string {
	now := time.Now()
	return p.key.Sign(t, josejwt.Claims{Issuer: p.URL, Subject: sub, Audience: josejwt.Audience{aud},
		Expiry: josejwt.NewNumericDate(now.Add(lifetime)), IssuedAt: josejwt.NewNumericDate(now),
		NotBefore: josejwt.NewNumericDate(now), ID: rand.Text()}, "")
}

// TestWorkloadIdentity: a client whose platform gives it a token (here a
// fake issuer on loopback) gets access tokens with it, no secret anywhere.
func TestWorkloadIdentity(t *testing.T) {
	auth := harness.StartAuth(t, harness.AuthOptions{})
	p := newPlatform(t)
	const sub = "system:serviceaccount:shop:checkout"
	auth.CLI("", "issuers", "add", p.URL)
	auth.AddClient("checkout", "--grants", "client_credentials", "--scopes", "search", "--audience", "search-api",
		"--assertion-issuer", p.URL, "--assertion-subject", sub)

	wt := p.token(t, sub, auth.URL, time.Hour)
	for i := range 2 { // reusable until it expires, as platforms mean it
		status, _, body := postForm(t, auth.URL+"/token", withAssertion(url.Values{"grant_type": {"client_credentials"}, "client_id": {"checkout"}}, wt), nil)
		if status != 200 || body["access_token"] == nil {
			t.Fatalf("use %d of the workload token: %d %v", i+1, status, body)
		}
	}
	for name, bad := range map[string]string{
		"another subject":  p.token(t, "system:serviceaccount:shop:other", auth.URL, time.Hour),
		"another audience": p.token(t, sub, "https://kubernetes.default.svc", time.Hour),
		"expired":          p.token(t, sub, auth.URL, -time.Minute),
	} {
		status, _, body := postForm(t, auth.URL+"/token", withAssertion(url.Values{"grant_type": {"client_credentials"}, "client_id": {"checkout"}}, bad), nil)
		if status != 401 || body["error"] != "invalid_client" {
			t.Errorf("workload token for %s: %d %v", name, status, body)
		}
	}
	auth.CLI("", "issuers", "delete", p.URL)
	status, _, _ := postForm(t, auth.URL+"/token", withAssertion(url.Values{"grant_type": {"client_credentials"}, "client_id": {"checkout"}}, wt), nil)
	if status != 401 {
		t.Fatalf("a token of an issuer no longer trusted: %d", status)
	}
}
