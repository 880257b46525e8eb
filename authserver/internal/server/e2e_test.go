package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/server"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
	"github.com/fastsafe/fastsafe/authserver/internal/testclock"
	"github.com/fastsafe/fastsafe/internal/logbuf"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

const (
	userPassword = "correct horse battery staple"
	webSecret    = "web-secret-0123456789-0123456789-abc"
	svcSecret    = "svc:secret+with%special&chars-0123456789"
	otherSecret  = "other-secret-0123456789-0123456789-x"
)

type clock = testclock.Clock

type env struct {
	t      *testing.T
	url    string
	store  store.Store
	clock  *clock
	dbPath string
	cfg    config.Config
	alg    string
}

// seed creates the users and clients every test uses.
func seed(t *testing.T, st store.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	hash := func(pw string, cost int) []byte {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	users := []store.User{
		{Username: "tester", FullName: "Tester", Email: "tester@example.com", PasswordHash: hash(userPassword, 4), CreatedAt: now, UpdatedAt: now},
		{Username: "limited", PasswordHash: hash(userPassword, 4), Scopes: []string{"profile"}, CreatedAt: now, UpdatedAt: now},
		{Username: "disabled", PasswordHash: hash(userPassword, 4), Disabled: true, CreatedAt: now, UpdatedAt: now},
	}
	for _, u := range users {
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	clients := []store.Client{
		{ID: "web", SecretHash: secret.Hash(webSecret), Grants: []string{"password", "refresh_token", "client_credentials"}, Scopes: []string{"search", "profile"}, Audience: []string{"search-api", "other-api"}},
		{ID: "docs", Grants: []string{"password", "refresh_token", "client_credentials"}, Scopes: []string{"search"}, Audience: []string{"search-api"}},
		{ID: "svc", SecretHash: secret.Hash(svcSecret), Grants: []string{"client_credentials"}, Scopes: []string{"search"}, Audience: []string{"search-api"}},
		{ID: "other", SecretHash: secret.Hash(otherSecret), Grants: []string{"password", "refresh_token"}, Scopes: []string{"search"}, Audience: []string{"search-api"}},
	}
	for _, c := range clients {
		c.CreatedAt, c.UpdatedAt = now, now
		if err := st.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
}

// start runs a real server on a loopback port over a SQLite file.
func start(t *testing.T) *env { return startAlg(t, "RS256") }

// startAlg is start with signing keys of algorithm alg.
func startAlg(t *testing.T, alg string) *env {
	t.Helper()
	e := &env{t: t, alg: alg, clock: testclock.New(time.Now().Truncate(time.Second)), dbPath: t.TempDir() + "/auth.db"}
	st, err := sqlstore.OpenSQLite(context.Background(), e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	seed(t, st, e.clock.Now())
	e.store = st
	e.serve(st)
	return e
}

// serve starts (another) server process on store st and points e at it.
func (e *env) serve(st store.Store) {
	t := e.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.url = "http://" + ln.Addr().String()
	cfg := config.Defaults()
	cfg.Issuer = e.url
	cfg.BcryptCost = 5
	cfg.SigningAlg = e.alg
	cfg.ShutdownTimeout = 10 * time.Second
	cfg.ShutdownDrain = 0 // no load balancer to wait for
	e.cfg = cfg
	ctx, cancel := context.WithCancel(context.Background())
	logs := &logbuf.Buffer{}
	s, err := server.New(ctx, cfg, st, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		// Connections the client opened but never used would hold up
		// the graceful shutdown for seconds.
		http.DefaultClient.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		// Whatever the test did, no credential reached the log.
		out := logs.String()
		if !strings.Contains(out, `"msg":"request"`) {
			t.Errorf("no request was logged")
		}
		for _, secret := range []string{userPassword, webSecret, svcSecret, otherSecret, url.QueryEscape(svcSecret), "eyJ", "refresh_token="} {
			if strings.Contains(out, secret) {
				t.Errorf("log contains %q", secret)
			}
		}
	})
}

func (e *env) oauthConfig(id, sec string, scopes ...string) *oauth2.Config {
	return &oauth2.Config{ClientID: id, ClientSecret: sec, Scopes: scopes, Endpoint: oauth2.Endpoint{TokenURL: e.url + "/token"}}
}

// post sends a raw form to path with optional Basic credentials.
func (e *env) post(path string, form url.Values, basicID, basicSecret string) (*http.Response, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) (*http.Response, map[string]any) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	var m map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &m); err != nil {
			e.t.Fatalf("%s %s: body is not JSON: %q", req.Method, req.URL.Path, body)
		}
	}
	return resp, m
}

// keySet fetches the server's JWKS.
func (e *env) keySet() jwks.Set {
	e.t.Helper()
	resp, err := http.Get(e.url + "/.well-known/jwks.json")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jwks.Set
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		e.t.Fatal(err)
	}
	return set
}

// verifyWithJWKS checks an access token the way any third party would:
// fetch the JWKS, pick the key by kid, verify with golang-jwt.
func (e *env) verifyWithJWKS(token string) (*claims.AccessToken, jwt.MapClaims) {
	e.t.Helper()
	set := e.keySet()
	keyfunc := func(t *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == t.Header["kid"] {
				return k.PublicKey()
			}
		}
		return nil, errors.New("kid not in JWKS")
	}
	var c claims.AccessToken
	tok, err := jwt.ParseWithClaims(token, &c, keyfunc,
		jwt.WithValidMethods([]string{e.alg}), jwt.WithIssuer(e.url), jwt.WithTimeFunc(e.clock.Now), jwt.WithExpirationRequired())
	if err != nil {
		e.t.Fatalf("token does not verify against the JWKS: %v", err)
	}
	if tok.Header["typ"] != "at+jwt" {
		e.t.Errorf("typ = %v, want at+jwt", tok.Header["typ"])
	}
	raw := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, raw); err != nil {
		e.t.Fatal(err)
	}
	return &c, raw
}

func TestPasswordGrantWithOAuth2Library(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	tok, err := e.oauthConfig("web", webSecret, "search").PasswordCredentialsToken(ctx, "tester", userPassword)
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.RefreshToken == "" {
		t.Fatalf("token = %+v", tok)
	}
	if got := time.Until(tok.Expiry); got < 29*time.Minute || got > 31*time.Minute {
		t.Errorf("expires in %v, want 30m", got)
	}
	c, raw := e.verifyWithJWKS(tok.AccessToken)
	if c.Subject != "tester" || c.ClientID != "web" || c.Scope != "search" || c.SessionID == "" || c.ID == "" {
		t.Errorf("claims = %+v", c)
	}
	if len(c.Audience) != 2 || !c.HasAudience("search-api") || !c.HasAudience("other-api") {
		t.Errorf("aud = %v, want the client's default audience", c.Audience)
	}
	if c.ExpiresAt.Sub(c.IssuedAt.Time) != 30*time.Minute {
		t.Errorf("lifetime = %v", c.ExpiresAt.Sub(c.IssuedAt.Time))
	}
	for _, k := range []string{"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("claim %q missing (RFC 9068 §2.2)", k)
		}
	}
}

func TestSigningAlgorithms(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			e := startAlg(t, alg)
			cc := clientcredentials.Config{ClientID: "svc", ClientSecret: svcSecret, TokenURL: e.url + "/token"}
			tok, err := cc.Token(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			c, _ := e.verifyWithJWKS(tok.AccessToken) // checks the header's alg too
			if c.Subject != "svc" {
				t.Errorf("claims = %+v", c)
			}
		})
	}
}

func TestPublicClientPasswordGrant(t *testing.T) {
	e := start(t)
	tok, err := e.oauthConfig("docs", "", "search").PasswordCredentialsToken(context.Background(), "tester", userPassword)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.verifyWithJWKS(tok.AccessToken)
	if c.ClientID != "docs" || c.Subject != "tester" {
		t.Errorf("claims = %+v", c)
	}
}

func TestClientCredentialsWithOAuth2Library(t *testing.T) {
	e := start(t)
	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: svcSecret, TokenURL: e.url + "/token", Scopes: []string{"search"}}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "" {
		t.Error("client_credentials must not issue a refresh token")
	}
	c, _ := e.verifyWithJWKS(tok.AccessToken)
	if c.Subject != "svc" || c.ClientID != "svc" || c.SessionID != "" || c.Scope != "search" {
		t.Errorf("claims = %+v", c)
	}
	// Credentials in the body (client_secret_post) work too.
	cc.AuthStyle = oauth2.AuthStyleInParams
	if _, err := cc.Token(context.Background()); err != nil {
		t.Fatalf("client_secret_post: %v", err)
	}
}

func TestResourceNarrowsAudience(t *testing.T) {
	e := start(t)
	cc := clientcredentials.Config{ClientID: "web", ClientSecret: webSecret, TokenURL: e.url + "/token",
		EndpointParams: url.Values{"resource": {"other-api"}}}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.verifyWithJWKS(tok.AccessToken)
	if len(c.Audience) != 1 || c.Audience[0] != "other-api" {
		t.Errorf("aud = %v, want [other-api]", c.Audience)
	}
}

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	conf := e.oauthConfig("web", webSecret)
	first, err := conf.PasswordCredentialsToken(ctx, "tester", userPassword)
	if err != nil {
		t.Fatal(err)
	}
	// Let the access token expire so the library refreshes it.
	e.clock.Advance(31 * time.Minute)
	expired := *first
	expired.Expiry = time.Now().Add(-time.Minute)
	second, err := conf.TokenSource(ctx, &expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("refresh did not rotate the refresh token")
	}
	c1, _ := e.verifyWithJWKS(second.AccessToken)
	if c1.Subject != "tester" || c1.Scope != "search profile" {
		t.Errorf("refreshed claims = %+v", c1)
	}
	// The old refresh token comes back at once, as from a client that
	// lost the answer: a retry, which gets the same successor.
	resp, body := e.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}, "web", webSecret)
	if resp.StatusCode != 200 || body["refresh_token"] != second.RefreshToken {
		t.Fatalf("retry within the grace window: %d %v, want the same refresh token again", resp.StatusCode, body)
	}
	// After the grace window it is reuse. It fails, and so does the newer
	// one, as the whole grant is revoked.
	e.clock.Advance(e.cfg.RefreshTokenGrace)
	resp, body = e.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}, "web", webSecret)
	if resp.StatusCode != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("reuse: %d %v", resp.StatusCode, body)
	}
	resp, body = e.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {second.RefreshToken}}, "web", webSecret)
	if resp.StatusCode != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("after reuse, newest token: %d %v", resp.StatusCode, body)
	}
	// And access tokens of the grant are no longer active.
	_, intro := e.post("/introspect", url.Values{"token": {second.AccessToken}}, "svc", svcSecret)
	if intro["active"] != false || len(intro) != 1 {
		t.Errorf("introspection after reuse = %v, want exactly {active:false}", intro)
	}
}

func TestRefreshRules(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	get := func() *oauth2.Token {
		tok, err := e.oauthConfig("web", webSecret).PasswordCredentialsToken(ctx, "tester", userPassword)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	refresh := func(tok *oauth2.Token, extra url.Values, id, sec string) (int, map[string]any) {
		f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
		for k, v := range extra {
			f[k] = v
		}
		resp, body := e.post("/token", f, id, sec)
		return resp.StatusCode, body
	}
	t.Run("narrowing scope", func(t *testing.T) {
		code, body := refresh(get(), url.Values{"scope": {"search"}}, "web", webSecret)
		if code != 200 || body["scope"] != "search" {
			t.Fatalf("%d %v", code, body)
		}
	})
	t.Run("widening scope", func(t *testing.T) {
		tok, err := e.oauthConfig("web", webSecret, "search").PasswordCredentialsToken(ctx, "tester", userPassword)
		if err != nil {
			t.Fatal(err)
		}
		code, body := refresh(tok, url.Values{"scope": {"search profile"}}, "web", webSecret)
		if code != 400 || body["error"] != "invalid_scope" {
			t.Fatalf("%d %v", code, body)
		}
	})
	t.Run("another client", func(t *testing.T) {
		code, body := refresh(get(), nil, "other", otherSecret)
		if code != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("%d %v", code, body)
		}
	})
	t.Run("idle expiry", func(t *testing.T) {
		tok := get()
		e.clock.Advance(e.cfg.RefreshTokenTTL + time.Second)
		code, body := refresh(tok, nil, "web", webSecret)
		if code != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("%d %v", code, body)
		}
	})
	t.Run("absolute expiry", func(t *testing.T) {
		tok := get()
		for elapsed := time.Duration(0); elapsed < e.cfg.RefreshTokenAbsoluteTTL; elapsed += e.cfg.RefreshTokenTTL / 2 {
			e.clock.Advance(e.cfg.RefreshTokenTTL / 2)
			code, body := refresh(tok, nil, "web", webSecret)
			if code != 200 {
				if elapsed+e.cfg.RefreshTokenTTL/2 < e.cfg.RefreshTokenAbsoluteTTL {
					t.Fatalf("refresh failed early at %v: %v", elapsed, body)
				}
				if body["error"] != "invalid_grant" {
					t.Fatalf("%d %v", code, body)
				}
				return
			}
			tok = &oauth2.Token{RefreshToken: body["refresh_token"].(string)}
		}
		t.Fatal("refresh kept working past the absolute lifetime")
	})
	t.Run("disabled user", func(t *testing.T) {
		tok := get()
		if err := e.store.UpdateUser(ctx, "tester", func(u store.User) (store.User, error) { u.Disabled = true; return u, nil }); err != nil {
			t.Fatal(err)
		}
		defer func() {
			_ = e.store.UpdateUser(ctx, "tester", func(u store.User) (store.User, error) { u.Disabled = false; return u, nil })
		}()
		code, body := refresh(tok, nil, "web", webSecret)
		if code != 400 || body["error"] != "invalid_grant" {
			t.Fatalf("%d %v", code, body)
		}
	})
	// An administrator narrows the client's or the user's scopes after
	// the login: the refreshed access token has only what both may have
	// today, even when that is nothing of the grant's scope.
	setClientScopes := func(t *testing.T, scopes ...string) {
		t.Helper()
		if err := e.store.UpdateClient(ctx, "web", func(c store.Client) (store.Client, error) { c.Scopes = scopes; return c, nil }); err != nil {
			t.Fatal(err)
		}
	}
	setUserScopes := func(t *testing.T, scopes ...string) {
		t.Helper()
		if err := e.store.UpdateUser(ctx, "tester", func(u store.User) (store.User, error) { u.Scopes = scopes; return u, nil }); err != nil {
			t.Fatal(err)
		}
	}
	narrowed := []struct {
		name         string
		client, user []string
		want         string
		wantInAnswer bool
	}{
		{"client's scopes narrowed", []string{"search"}, nil, "search", true},
		{"user's scopes narrowed", []string{"search", "profile"}, []string{"profile"}, "profile", true},
		{"client has none of the grant's scopes left", []string{"admin"}, nil, "", false},
	}
	for _, tt := range narrowed {
		t.Run(tt.name, func(t *testing.T) {
			tok := get() // scope "search profile"
			setClientScopes(t, tt.client...)
			setUserScopes(t, tt.user...)
			defer setClientScopes(t, "search", "profile")
			defer setUserScopes(t)
			code, body := refresh(tok, nil, "web", webSecret)
			if code != 200 {
				t.Fatalf("%d %v", code, body)
			}
			if scope, ok := body["scope"]; ok != tt.wantInAnswer || (ok && scope != tt.want) {
				t.Errorf("scope in the answer = %v, want %q", body["scope"], tt.want)
			}
			if c, _ := e.verifyWithJWKS(body["access_token"].(string)); c.Scope != tt.want {
				t.Errorf("scope claim = %q, want %q", c.Scope, tt.want)
			}
		})
	}
	t.Run("public client", func(t *testing.T) {
		tok, err := e.oauthConfig("docs", "").PasswordCredentialsToken(ctx, "tester", userPassword)
		if err != nil {
			t.Fatal(err)
		}
		code, body := refresh(tok, url.Values{"client_id": {"docs"}}, "", "")
		if code != 200 || body["refresh_token"] == "" {
			t.Fatalf("%d %v", code, body)
		}
	})
}

// TestParallelRefreshOneSuccessor: however many refreshes of one token
// run at once, as from a client retrying while its first request is still
// running, they hand out one successor, never a second live refresh token.
func TestParallelRefreshOneSuccessor(t *testing.T) {
	e := start(t)
	tok, err := e.oauthConfig("web", webSecret).PasswordCredentialsToken(context.Background(), "tester", userPassword)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	type result struct {
		code    int
		refresh any
	}
	results := make(chan result, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := e.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "web", webSecret)
			results <- result{resp.StatusCode, body["refresh_token"]}
		}()
	}
	wg.Wait()
	close(results)
	successors := map[any]bool{}
	for r := range results {
		if r.code != 200 {
			t.Errorf("status %d", r.code)
			continue
		}
		successors[r.refresh] = true
	}
	if len(successors) != 1 {
		t.Fatalf("parallel refreshes of one token handed out %d refresh tokens, want 1", len(successors))
	}
}

func TestIntrospectionAndRevocation(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	tok, err := e.oauthConfig("web", webSecret).PasswordCredentialsToken(ctx, "tester", userPassword)
	if err != nil {
		t.Fatal(err)
	}
	introspect := func(token string, id, sec string) map[string]any {
		resp, body := e.post("/introspect", url.Values{"token": {token}}, id, sec)
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("introspect: %d %v", resp.StatusCode, resp.Header)
		}
		return body
	}
	inactive := func(m map[string]any) bool { return len(m) == 1 && m["active"] == false }

	got := introspect(tok.AccessToken, "svc", svcSecret)
	if got["active"] != true || got["sub"] != "tester" || got["client_id"] != "web" || got["username"] != "tester" || got["token_type"] != "Bearer" {
		t.Fatalf("active access token: %v", got)
	}
	if got := introspect(tok.RefreshToken, "web", webSecret); got["active"] != true || got["token_type"] != "refresh_token" {
		t.Fatalf("refresh token to its client: %v", got)
	}
	if got := introspect(tok.RefreshToken, "svc", svcSecret); !inactive(got) {
		t.Fatalf("refresh token to another client: %v", got)
	}
	for _, junk := range []string{"junk", "a.b.c", strings.Repeat("x", 9000), tok.AccessToken[:len(tok.AccessToken)-2] + "xx"} {
		if got := introspect(junk, "svc", svcSecret); !inactive(got) {
			t.Errorf("junk %.20q: %v", junk, got)
		}
	}
	// Expired access tokens are inactive.
	e.clock.Advance(31 * time.Minute)
	if got := introspect(tok.AccessToken, "svc", svcSecret); !inactive(got) {
		t.Errorf("expired: %v", got)
	}
	e.clock.Advance(-31 * time.Minute)

	// Revoking the refresh token deactivates the grant's access tokens.
	resp, _ := e.post("/revoke", url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}, "web", webSecret)
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if got := introspect(tok.AccessToken, "svc", svcSecret); !inactive(got) {
		t.Errorf("access token after refresh revocation: %v", got)
	}
	if got := introspect(tok.RefreshToken, "web", webSecret); !inactive(got) {
		t.Errorf("refresh token after revocation: %v", got)
	}
	resp, body := e.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}, "web", webSecret)
	if resp.StatusCode != 400 || body["error"] != "invalid_grant" {
		t.Errorf("refresh after revocation: %d %v", resp.StatusCode, body)
	}

	// Revoking an access token; a client_credentials token this time.
	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: svcSecret, TokenURL: e.url + "/token"}
	ctok, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := introspect(ctok.AccessToken, "web", webSecret); got["active"] != true || got["username"] != nil {
		t.Fatalf("client token: %v", got)
	}
	// Another client's revocation of it is answered 200 and does nothing.
	if resp, _ := e.post("/revoke", url.Values{"token": {ctok.AccessToken}}, "web", webSecret); resp.StatusCode != 200 {
		t.Fatalf("foreign revoke: %d", resp.StatusCode)
	}
	if got := introspect(ctok.AccessToken, "web", webSecret); got["active"] != true {
		t.Fatalf("a foreign client revoked the token: %v", got)
	}
	if resp, _ := e.post("/revoke", url.Values{"token": {ctok.AccessToken}}, "svc", svcSecret); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if got := introspect(ctok.AccessToken, "web", webSecret); !inactive(got) {
		t.Errorf("revoked access token: %v", got)
	}
	// Unknown tokens are 200 too (RFC 7009 §2.2).
	if resp, _ := e.post("/revoke", url.Values{"token": {"nonsense"}}, "svc", svcSecret); resp.StatusCode != 200 {
		t.Errorf("unknown token: %d", resp.StatusCode)
	}
}

func TestRestartKeepsKeys(t *testing.T) {
	e := start(t)
	tok, err := e.oauthConfig("web", webSecret).PasswordCredentialsToken(context.Background(), "tester", userPassword)
	if err != nil {
		t.Fatal(err)
	}
	// A second server on the same database file, as after a restart.
	st2, err := sqlstore.OpenSQLite(context.Background(), e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st2.Close() })
	e.serve(st2)
	resp, err := http.Get(e.url + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jwks.Set
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0].Kid != parsed.Header["kid"] {
		t.Fatalf("restarted server publishes %+v, want the one key %v", set.Keys, parsed.Header["kid"])
	}
	pub, err := set.Keys[0].PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(tok.AccessToken, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithTimeFunc(e.clock.Now)); err != nil {
		t.Fatalf("token issued before the restart does not verify: %v", err)
	}
}

func TestRehashOnLogin(t *testing.T) {
	e := start(t)
	if _, err := e.oauthConfig("web", webSecret).PasswordCredentialsToken(context.Background(), "tester", userPassword); err != nil {
		t.Fatal(err)
	}
	u, err := e.store.GetUser(context.Background(), "tester")
	if err != nil {
		t.Fatal(err)
	}
	if cost, _ := bcrypt.Cost(u.PasswordHash); cost != e.cfg.BcryptCost {
		t.Errorf("cost after login = %d, want %d", cost, e.cfg.BcryptCost)
	}
}
