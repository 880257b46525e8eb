package e2e_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// The client assertions and DPoP proofs of these tests are built with
// go-jose, independently of fastsafe's own code.

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// serviceKey is a service's private key and its key ID, as go-jose sees
// them.
type serviceKey struct {
	kid string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func newServiceKey(t testing.TB, kid string, alg jose.SignatureAlgorithm) serviceKey {
	t.Helper()
	var k crypto.Signer
	var err error
	switch alg {
	case jose.EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case jose.ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("no key for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return serviceKey{kid: kid, alg: alg, key: k}
}

// jwksFile writes the public keys as a JSON Web Key Set file.
func jwksFile(t testing.TB, keys ...serviceKey) string {
	t.Helper()
	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.key.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sign makes a JWT of claims, with typ if not empty.
func (k serviceKey) sign(t testing.TB, claims any, typ string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithHeader("kid", k.kid)
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := josejwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// assertion is a private_key_jwt client assertion of clientID for aud.
func (k serviceKey) assertion(t testing.TB, clientID, aud string, lifetime time.Duration) string {
	now := time.Now()
	return k.sign(t, josejwt.Claims{Issuer: clientID, Subject: clientID, Audience: josejwt.Audience{aud},
		Expiry: josejwt.NewNumericDate(now.Add(lifetime)), IssuedAt: josejwt.NewNumericDate(now), ID: rand.Text()}, "")
}

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
	f.Set("client_assertion_type", assertionType)
	f.Set("client_assertion", assertion)
	return f
}

// TestPrivateKeyJWT: a client with no secret authenticates at /token,
// /introspect and /revoke with assertions it signs; each assertion works
// once.
func TestPrivateKeyJWT(t *testing.T) {
	auth := harness.StartAuth(t, harness.AuthOptions{})
	key := newServiceKey(t, "svc-a-1", jose.EdDSA)
	out := auth.AddClient("svc-a", "--grants", "client_credentials", "--scopes", "search", "--audience", "search-api", "--jwks", jwksFile(t, key))
	if !strings.Contains(out, "signed assertions") {
		t.Fatalf("clients add printed %q", out)
	}
	tokenURL := auth.URL + "/token"

	a := key.assertion(t, "svc-a", tokenURL, time.Minute)
	status, _, body := postForm(t, tokenURL, withAssertion(url.Values{"grant_type": {"client_credentials"}}, a), nil)
	if status != 200 || body["access_token"] == nil {
		t.Fatalf("client_credentials with an assertion: %d %v", status, body)
	}
	access := body["access_token"].(string)
	status, _, body = postForm(t, tokenURL, withAssertion(url.Values{"grant_type": {"client_credentials"}}, a), nil)
	if status != 401 || body["error"] != "invalid_client" {
		t.Fatalf("replayed assertion: %d %v", status, body)
	}

	status, _, body = postForm(t, auth.URL+"/introspect", withAssertion(url.Values{"token": {access}}, key.assertion(t, "svc-a", auth.URL, time.Minute)), nil)
	if status != 200 || body["active"] != true || body["client_id"] != "svc-a" {
		t.Fatalf("introspection with an assertion: %d %v", status, body)
	}
	status, _, _ = postForm(t, auth.URL+"/revoke", withAssertion(url.Values{"token": {access}}, key.assertion(t, "svc-a", auth.URL+"/revoke", time.Minute)), nil)
	if status != 200 {
		t.Fatalf("revocation with an assertion: %d", status)
	}
	_, _, body = postForm(t, auth.URL+"/introspect", withAssertion(url.Values{"token": {access}}, key.assertion(t, "svc-a", tokenURL, time.Minute)), nil)
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
	key serviceKey
}

func newPlatform(t testing.TB) *platform {
	p := &platform{key: newServiceKey(t, "platform-key-1", jose.ES256)}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.URL, "jwks_uri": p.URL + "/openid/v1/jwks"})
		case "/openid/v1/jwks":
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
				{Key: p.key.key.Public(), KeyID: p.key.kid, Algorithm: string(p.key.alg), Use: "sig"}}})
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
	return p.key.sign(t, josejwt.Claims{Issuer: p.URL, Subject: sub, Audience: josejwt.Audience{aud},
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
