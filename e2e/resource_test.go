package e2e_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/fastsafe/fastsafe/e2e/harness"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
)

const password = "correct horse battery staple"

// pair is an auth server and a resource server trusting it, with a user
// and clients.
type pair struct {
	auth      *harness.Auth
	rs        *harness.Resource
	webSecret string
	svcSecret string
	othSecret string
}

func startPair(t *testing.T, authEnv map[string]string) *pair {
	t.Helper()
	auth := harness.StartAuth(t, harness.AuthOptions{Env: authEnv})
	auth.AddUser("tester", password, "search")
	p := &pair{auth: auth}
	p.webSecret = auth.AddClient("web", "--grants", "password,refresh_token,client_credentials", "--scopes", "search,profile", "--audience", "search-api")
	p.svcSecret = auth.AddClient("svc", "--grants", "client_credentials", "--scopes", "search", "--audience", "search-api")
	p.othSecret = auth.AddClient("other", "--grants", "client_credentials", "--scopes", "search", "--audience", "other-api")
	p.rs = harness.StartResource(t, auth, harness.ResourceOptions{})
	return p
}

func (p *pair) userConfig() *oauth2.Config {
	return &oauth2.Config{ClientID: "web", ClientSecret: p.webSecret, Scopes: []string{"search"},
		Endpoint: oauth2.Endpoint{TokenURL: p.auth.URL + "/token"}}
}

func (p *pair) serviceConfig() *clientcredentials.Config {
	return &clientcredentials.Config{ClientID: "svc", ClientSecret: p.svcSecret, TokenURL: p.auth.URL + "/token", Scopes: []string{"search"}}
}

// search calls /search with a bearer token ("" for none).
func search(t *testing.T, rsURL, token, query string) (int, http.Header, map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", rsURL+"/search?query="+url.QueryEscape(query), nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body map[string]string
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", b, err)
	}
	return resp.StatusCode, resp.Header, body
}

func TestUserAndServiceTokensReachSearch(t *testing.T) {
	p := startPair(t, nil)
	ctx := context.Background()

	tok, err := p.userConfig().PasswordCredentialsToken(ctx, "tester", password)
	if err != nil {
		t.Fatal(err)
	}
	// The library's client attaches the token itself.
	resp, err := p.userConfig().Client(ctx, tok).Get(p.rs.URL + "/search?query=apple")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || got["message"] != "found apple in search" {
		t.Fatalf("user: %d %v", resp.StatusCode, got)
	}

	svc, err := p.serviceConfig().Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, body := search(t, p.rs.URL, svc.AccessToken, "pear"); code != 200 || body["message"] != "pear not found in search" {
		t.Fatalf("service: %d %v", code, body)
	}
	if code, _, body := search(t, p.rs.URL, "", "apple"); code != 401 || body["error"] == "invalid_token" {
		t.Fatalf("no token: %d %v", code, body)
	}
	// The public page stays public.
	r, err := http.Get(p.rs.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var root map[string]string
	_ = json.NewDecoder(r.Body).Decode(&root)
	if r.StatusCode != 200 || root["message"] != "Welcome to Test App for Security" {
		t.Fatalf("/: %d %v", r.StatusCode, root)
	}
}

// hs256 signs claims under kid as an HS256 at+jwt keyed with secret: the
// algorithm confusion attack.
func hs256(t *testing.T, kid string, secret []byte, c jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["typ"] = "at+jwt"
	tok.Header["kid"] = kid
	s, err := tok.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRefusedTokens(t *testing.T) {
	p := startPair(t, nil)
	ctx := context.Background()
	kid, alg, key := p.auth.SigningKey()
	if alg != "RS256" {
		t.Fatalf("alg = %s", alg)
	}
	valid := func() *claims.AccessToken {
		now := time.Now()
		return &claims.AccessToken{
			Issuer: p.auth.URL, Subject: "tester", Audience: jwt.ClaimStrings{"search-api"}, ClientID: "web", Scope: "search",
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(10 * time.Minute)), ID: "forged-jti",
		}
	}
	// A forged token with the real key passes: the rows below differ from
	// it in one thing each.
	if code, _, body := search(t, p.rs.URL, tokentest.Sign(key, kid, *valid()), "apple"); code != 200 {
		t.Fatalf("control token refused: %d %v", code, body)
	}

	other, err := (&clientcredentials.Config{ClientID: "other", ClientSecret: p.othSecret, TokenURL: p.auth.URL + "/token"}).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expired := valid()
	expired.IssuedAt = jwt.NewNumericDate(time.Now().Add(-2 * time.Hour))
	expired.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
	stranger := tokentest.NewKey()
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	noneTok, err := jwt.NewWithClaims(jwt.SigningMethodNone, valid()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	real, err := p.userConfig().PasswordCredentialsToken(ctx, "tester", password)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(real.AccessToken, ".")
	noScope := valid()
	noScope.Scope = "profile"

	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantError  string
	}{
		{"token for another audience", other.AccessToken, 401, "invalid_token"},
		{"expired", tokentest.Sign(key, kid, *expired), 401, "invalid_token"},
		{"signed by a key not in the JWKS", tokentest.Sign(stranger, "not-published", *valid()), 401, "invalid_token"},
		{"signed by another key under the real kid", tokentest.Sign(stranger, kid, *valid()), 401, "invalid_token"},
		{"alg none", noneTok, 401, "invalid_token"},
		{"HS256 keyed with the public key", hs256(t, kid, pubPEM, valid()), 401, "invalid_token"},
		{"tampered claims", parts[0] + "." + flip(parts[1], 10) + "." + parts[2], 401, "invalid_token"},
		{"tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2], 10), 401, "invalid_token"},
		{"refresh token as access token", real.RefreshToken, 401, "invalid_token"},
		{"valid token without the scope", tokentest.Sign(key, kid, *noScope), 403, "insufficient_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, body := search(t, p.rs.URL, tt.token, "apple")
			if code != tt.wantStatus || body["error"] != tt.wantError {
				t.Fatalf("got %d %v, want %d %s", code, body, tt.wantStatus, tt.wantError)
			}
			challenge := hdr.Get("WWW-Authenticate")
			if !strings.HasPrefix(challenge, "Bearer ") || !strings.Contains(challenge, `error="`+tt.wantError+`"`) {
				t.Errorf("WWW-Authenticate = %q", challenge)
			}
		})
	}
}

// flip changes the base64url character at i into another one, so the
// decoded bytes differ.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestKeyRotationWhileRequestsFlow(t *testing.T) {
	p := startPair(t, nil)
	ctx := context.Background()
	oldKid, _, _ := p.auth.SigningKey()

	var (
		requests, failures atomic.Int64
		newKidSeen         atomic.Bool
		wg                 sync.WaitGroup
	)
	stop := make(chan struct{})
	deadline := time.Now().Add(90 * time.Second)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				select {
				case <-stop:
					return
				default:
				}
				// A fresh token each time, so tokens from the new key
				// reach the resource server as soon as it signs.
				tok, err := p.serviceConfig().Token(ctx)
				if err != nil {
					failures.Add(1)
					t.Errorf("worker %d: token: %v", w, err)
					continue
				}
				parsed, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, jwt.MapClaims{})
				if err == nil && parsed.Header["kid"] != oldKid {
					newKidSeen.Store(true)
				}
				requests.Add(1)
				if code, _, body := search(t, p.rs.URL, tok.AccessToken, "apple"); code != 200 {
					failures.Add(1)
					t.Errorf("worker %d: /search %d %v", w, code, body)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	p.auth.CLI("", "keys", "rotate", "--activate-after", "2s")
	for time.Now().Before(deadline) && !newKidSeen.Load() {
		time.Sleep(100 * time.Millisecond)
	}
	// Keep going a little with the new key.
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if !newKidSeen.Load() {
		t.Fatal("the rotated-in key never signed a token")
	}
	if failures.Load() != 0 {
		t.Fatalf("%d of %d requests failed during rotation", failures.Load(), requests.Load())
	}
	t.Logf("%d requests across the rotation, none failed", requests.Load())
}

func TestAuthServerDownCachedKeysKeepVerifying(t *testing.T) {
	p := startPair(t, nil)
	tok, err := p.serviceConfig().Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := search(t, p.rs.URL, tok.AccessToken, "apple"); code != 200 {
		t.Fatalf("before: %d", code)
	}
	_, _, key := p.auth.SigningKey()
	p.auth.Stop()

	if code, _, body := search(t, p.rs.URL, tok.AccessToken, "apple"); code != 200 || body["message"] != "found apple in search" {
		t.Fatalf("with the auth server down: %d %v", code, body)
	}
	// An unknown kid cannot be looked up: whether the token is valid
	// cannot be told, so it gets 503 with Retry-After, not 401 (which
	// would have its holder throw it away), and without hanging (search
	// bounds the request with a deadline).
	c := &claims.AccessToken{Issuer: p.auth.URL, Subject: "x", Audience: jwt.ClaimStrings{"search-api"}, ClientID: "x",
		IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Minute)), ID: "j"}
	code, header, body := search(t, p.rs.URL, tokentest.Sign(key, "unknown-kid", *c), "apple")
	if code != 503 || body["error"] != "temporarily_unavailable" || header.Get("Retry-After") == "" {
		t.Fatalf("unknown kid with the auth server down: %d %v %v", code, header, body)
	}
	// Readiness stays: the keys are cached.
	resp, err := http.Get(p.rs.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/readyz = %d with cached keys", resp.StatusCode)
	}
}
