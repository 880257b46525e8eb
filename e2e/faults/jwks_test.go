package faults_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/e2e/harness"
	"github.com/fastsafe/fastsafe/internal/faultyhttp"
)

// search calls the resource server with token and returns the status,
// the Retry-After and the OAuth error.
func search(t *testing.T, rs *harness.Resource, token string) (int, string, string, time.Duration) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rs.URL+"/search?query=apple", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), body.Error, time.Since(start)
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

// TestKeyEndpointSlowAndDead: the auth server starts signing with a key
// the resource server has not fetched, while its key endpoint is slow,
// then dead. Tokens of the cached key are served throughout; tokens of
// the new key get 503 with Retry-After, within --jwks-wait, never 401
// (their holders would throw them away), and are served once the
// endpoint answers again; readiness stays 200 with the keys cached.
func TestKeyEndpointSlowAndDead(t *testing.T) {
	auth := harness.StartAuth(t, harness.AuthOptions{Env: map[string]string{"AUTH_LOG_LEVEL": "warn"}})
	id, secret := "svc", ""
	secret = auth.AddClient(id, "--grants", "client_credentials", "--scopes", "search", "--audience", "search-api")
	keys := faultyhttp.New(t, auth.URL+"/.well-known/jwks.json")
	rs := harness.StartResource(t, auth, harness.ResourceOptions{Env: map[string]string{
		"RS_JWKS_URL": keys.URL, "RS_JWKS_WAIT": "1s", "RS_LOG_LEVEL": "warn",
	}})
	token := func() string {
		t.Helper()
		a := postForm(client(), auth.URL+"/token", id, secret, url.Values{"grant_type": {"client_credentials"}})
		if a.status != http.StatusOK {
			t.Fatalf("client_credentials: %d %q %v", a.status, a.code, a.err)
		}
		return a.access
	}
	old := token()
	if code, _, _, _ := search(t, rs, old); code != http.StatusOK {
		t.Fatalf("search with a token of the cached key: %d", code)
	}

	// A key that signs at once, which the resource server has not seen.
	auth.CLI("", "keys", "rotate", "--activate-after", "0s")
	var fresh string
	deadline := time.Now().Add(30 * time.Second)
	for fresh = token(); kidOf(t, fresh) == kidOf(t, old); fresh = token() {
		if time.Now().After(deadline) {
			t.Fatal("the auth server did not sign with the rotated key")
		}
		time.Sleep(100 * time.Millisecond)
	}

	for _, mode := range []string{faultyhttp.Slow, faultyhttp.Dead} {
		keys.Set(mode)
		time.Sleep(1100 * time.Millisecond) // past the cooldown of a failed fetch
		code, retry, errCode, took := search(t, rs, fresh)
		if code != http.StatusServiceUnavailable || retry == "" || errCode != "temporarily_unavailable" {
			t.Errorf("a token of a key not cached, key endpoint %s: %d %q %q, want 503 with Retry-After", mode, code, retry, errCode)
		}
		if took > 5*time.Second {
			t.Errorf("a request waited %s on a %s key endpoint, with --jwks-wait 1s", took, mode)
		}
		if code, _, _, _ := search(t, rs, old); code != http.StatusOK {
			t.Errorf("a token of the cached key, key endpoint %s: %d, want 200", mode, code)
		}
		if code, _ := readiness(rs.URL); code != http.StatusOK {
			t.Errorf("readiness with the keys cached, key endpoint %s: %d, want 200", mode, code)
		}
	}

	keys.Set(faultyhttp.Up)
	deadline = time.Now().Add(30 * time.Second)
	for {
		code, _, errCode, _ := search(t, rs, fresh)
		if code == http.StatusOK {
			break
		}
		if code == http.StatusUnauthorized || time.Now().After(deadline) {
			t.Fatalf("a token of the new key once the key endpoint is back: %d %q", code, errCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Contains(rs.Logs.String(), `"status":401`) {
		t.Error("the resource server answered 401")
	}
}
