package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/server"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
	"github.com/fastsafe/fastsafe/authserver/internal/testclock"
	"github.com/fastsafe/fastsafe/internal/logbuf"
	"github.com/fastsafe/fastsafe/internal/promtext"
	"github.com/fastsafe/fastsafe/pkg/requestid"
)

// metricsEnv is a server on a seeded SQLite store, served by httptest,
// with its logs kept.
type metricsEnv struct {
	t     *testing.T
	url   string
	logs  *logbuf.Buffer
	srv   *server.Server
	clock *clock
}

func startMetrics(t *testing.T, modify func(*config.Config)) *metricsEnv {
	t.Helper()
	clk := testclock.New(time.Now().Truncate(time.Second))
	st, err := sqlstore.OpenSQLite(context.Background(), t.TempDir()+"/auth.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	seed(t, st, clk.Now())
	cfg := config.Defaults()
	cfg.BcryptCost = 4
	if modify != nil {
		modify(&cfg)
	}
	logs := &logbuf.Buffer{}
	s, err := server.New(context.Background(), cfg, st, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &metricsEnv{t: t, url: hs.URL, logs: logs, srv: s, clock: clk}
}

// send sends a request and returns the response with its body read.
func (e *metricsEnv) send(method, path string, form url.Values, basicID, basicSecret, reqID string) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	if reqID != "" {
		req.Header.Set(requestid.Header, reqID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

// scrape reads /metrics: the raw text and the parsed families.
func scrape(t *testing.T, h http.Handler) (string, promtext.Families) {
	t.Helper()
	text, fams, err := promtext.Scrape(h, "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	return text, fams
}

type series struct {
	name   string
	labels map[string]string
}

func TestMetricsMove(t *testing.T) {
	e := startMetrics(t, func(c *config.Config) { c.LoginMaxFailures = 2 })
	h := e.srv.Handler()
	_, before := scrape(t, h)

	// A password grant, a wrong password, an unknown client, two failed
	// logins that lock an account and a third refused, a refresh token
	// reuse, an unauthenticated introspection and a path that does not
	// exist.
	resp, body := e.send("POST", "/token", url.Values{"grant_type": {"password"}, "username": {"tester"}, "password": {userPassword}}, "web", webSecret, "")
	if resp.StatusCode != 200 {
		t.Fatalf("password grant: %d %s", resp.StatusCode, body)
	}
	var tok struct{ AccessToken, RefreshToken string }
	tok.AccessToken = jsonField(t, body, "access_token")
	tok.RefreshToken = jsonField(t, body, "refresh_token")
	refreshed := func(rt string) (int, string) {
		resp, body := e.send("POST", "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "web", webSecret, "")
		return resp.StatusCode, body
	}
	if code, body := refreshed(tok.RefreshToken); code != 200 {
		t.Fatalf("refresh: %d %s", code, body)
	}
	if code, _ := refreshed(tok.RefreshToken); code != 200 {
		t.Fatalf("retried refresh token: %d, want 200", code)
	}
	e.clock.Advance(config.Defaults().RefreshTokenGrace)
	if code, _ := refreshed(tok.RefreshToken); code != 400 {
		t.Fatalf("reused refresh token: %d, want 400", code)
	}
	if resp, _ := e.send("POST", "/token", url.Values{"grant_type": {"password"}, "username": {"tester"}, "password": {"wrong-password"}}, "web", webSecret, ""); resp.StatusCode != 400 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if resp, _ := e.send("POST", "/token", url.Values{"grant_type": {"client_credentials"}}, "intruder-client", "intruder-secret-0123456789", ""); resp.StatusCode != 401 {
		t.Fatalf("unknown client: %d", resp.StatusCode)
	}
	for range 3 {
		e.send("POST", "/token", url.Values{"grant_type": {"password"}, "username": {"limited"}, "password": {"not-the-password"}}, "web", webSecret, "")
	}
	if resp, _ := e.send("POST", "/introspect", url.Values{"token": {tok.AccessToken}}, "", "", ""); resp.StatusCode != 401 {
		t.Fatalf("unauthenticated introspection: %d", resp.StatusCode)
	}
	if resp, _ := e.send("POST", "/revoke", url.Values{}, "web", webSecret, ""); resp.StatusCode != 400 {
		t.Fatalf("revocation without token: %d", resp.StatusCode)
	}
	e.send("GET", "/no/such/path/"+tok.AccessToken, nil, "", "", "")

	text, after := scrape(t, h)
	tests := []struct {
		series
		atLeast float64 // the least increase
	}{
		{series{"fastsafe_auth_http_requests_total", map[string]string{"route": "/token", "method": "POST", "code": "200"}}, 2},
		{series{"fastsafe_auth_http_requests_total", map[string]string{"route": "/token", "method": "POST", "code": "401"}}, 1},
		{series{"fastsafe_auth_http_requests_total", map[string]string{"route": "other", "method": "GET", "code": "404"}}, 1},
		{series{"fastsafe_auth_http_request_duration_seconds", map[string]string{"route": "/token", "method": "POST"}}, 8},
		{series{"fastsafe_auth_tokens_issued_total", map[string]string{"grant": "password", "client_id": "web"}}, 1},
		{series{"fastsafe_auth_tokens_issued_total", map[string]string{"grant": "refresh_token", "client_id": "web"}}, 1},
		{series{"fastsafe_auth_token_errors_total", map[string]string{"endpoint": "token", "error": "invalid_grant"}}, 4},
		{series{"fastsafe_auth_token_errors_total", map[string]string{"endpoint": "token", "error": "invalid_client"}}, 1},
		{series{"fastsafe_auth_token_errors_total", map[string]string{"endpoint": "introspect", "error": "invalid_client"}}, 1},
		{series{"fastsafe_auth_token_errors_total", map[string]string{"endpoint": "revoke", "error": "invalid_request"}}, 1},
		{series{"fastsafe_auth_bcrypt_duration_seconds", nil}, 5},
		{series{"fastsafe_auth_throttled_total", map[string]string{"kind": "account"}}, 1},
		{series{"fastsafe_auth_refresh_reuse_detected_total", nil}, 1},
		{series{"fastsafe_auth_refresh_retries_total", nil}, 1},
		{series{"fastsafe_auth_store_duration_seconds", map[string]string{"op": "GetUser"}}, 1},
		{series{"fastsafe_auth_store_duration_seconds", map[string]string{"op": "GetClient"}}, 1},
		{series{"fastsafe_auth_store_duration_seconds", map[string]string{"op": "RotateRefreshToken"}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name+labelString(tt.labels), func(t *testing.T) {
			b, a := before.Value(tt.name, tt.labels), after.Value(tt.name, tt.labels)
			if a-b < tt.atLeast {
				t.Errorf("went from %v to %v, want an increase of at least %v", b, a, tt.atLeast)
			}
		})
	}
	if v := after.Value("fastsafe_auth_signing_keys", map[string]string{"state": "active"}); v != 1 {
		t.Errorf("active signing keys = %v, want 1", v)
	}
	if v := after.Value("fastsafe_auth_signing_key_next_activation_timestamp_seconds", nil); v != 0 {
		t.Errorf("next activation = %v, want 0 with no next key", v)
	}
	for _, name := range []string{"fastsafe_auth_signing_key_active_age_seconds", "go_goroutines", "process_cpu_seconds_total"} {
		if after[name] == nil {
			t.Errorf("%s is missing", name)
		}
	}
	// No user name, token, secret or client-chosen value in any label.
	for _, s := range []string{"tester", "limited", userPassword, webSecret, "wrong-password", "not-the-password",
		"intruder", tok.AccessToken, tok.RefreshToken, "/no/such/path"} {
		if strings.Contains(text, s) {
			t.Errorf("/metrics contains %q", s)
		}
	}
}

func labelString(labels map[string]string) string {
	b, _ := json.Marshal(labels)
	return string(b)
}

func jsonField(t *testing.T, body, field string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%q: %v", body, err)
	}
	s, _ := m[field].(string)
	if s == "" {
		t.Fatalf("%q has no %s", body, field)
	}
	return s
}

func TestRequestID(t *testing.T) {
	e := startMetrics(t, func(c *config.Config) { c.LoginMaxFailures = 1 })
	tests := []struct {
		name     string
		incoming string
		wantSame bool
	}{
		{"incoming id kept", "trace-0001", true},
		{"absent id generated", "", false},
		{"unsafe id replaced", "x\" level=ERROR", false},
		{"long id replaced", strings.Repeat("a", requestid.MaxLen+1), false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A failed login that locks the account out writes two lines:
			// the lockout and the request.
			user := fmt.Sprintf("ghost-%d", i) // a new account each time
			resp, _ := e.send("POST", "/token", url.Values{"grant_type": {"password"}, "username": {user}, "password": {"nope-" + tt.name}}, "web", webSecret, tt.incoming)
			id := resp.Header.Get(requestid.Header)
			switch {
			case !requestid.Valid(id):
				t.Fatalf("response id %q is not valid", id)
			case tt.wantSame && id != tt.incoming:
				t.Fatalf("response id %q, want %q", id, tt.incoming)
			case !tt.wantSame && id == tt.incoming:
				t.Fatalf("response id %q kept an invalid or absent id", id)
			}
			msgs, err := e.logs.Messages("request_id", id)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(msgs, "|") != "locked out after repeated authentication failures|request" {
				t.Errorf("lines with request_id %q: %q", id, msgs)
			}
		})
	}
}

func TestMetricsOnSeparateAddress(t *testing.T) {
	e := startMetrics(t, func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" })
	if resp, _ := e.send("GET", "/metrics", nil, "", "", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the main address: %d, want 404", resp.StatusCode)
	}
	e.send("GET", "/healthz", nil, "", "", "")
	_, fams := scrape(t, e.srv.MetricsHandler())
	if v := fams.Value("fastsafe_auth_http_requests_total", map[string]string{"route": "other", "method": "GET", "code": "404"}); v != 1 {
		t.Errorf("404 requests = %v, want 1", v)
	}
	if v := fams.Value("fastsafe_auth_http_requests_total", map[string]string{"route": "/healthz", "method": "GET", "code": "200"}); v != 1 {
		t.Errorf("healthz requests = %v, want 1", v)
	}
}

func TestServeMetricsOnSeparateListener(t *testing.T) {
	clk := testclock.New(time.Now().Truncate(time.Second))
	st, err := sqlstore.OpenSQLite(context.Background(), t.TempDir()+"/auth.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	cfg := config.Defaults()
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.SigningAlg = "ES256"
	cfg.ShutdownDrain = 0
	logs := &logbuf.Buffer{}
	s, err := server.New(context.Background(), cfg, st, slog.New(slog.NewJSONHandler(logs, nil)), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() {
		http.DefaultClient.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Once the main listener answers, the metrics listener is up: Serve
	// starts it first.
	if code, _ := get("http://" + ln.Addr().String() + "/healthz"); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	if code, _ := get("http://" + ln.Addr().String() + "/metrics"); code != 404 {
		t.Errorf("/metrics on the main listener: %d, want 404", code)
	}
	listening, err := logs.Last("metrics listening")
	addr, _ := listening["addr"].(string)
	if err != nil || addr == "" {
		t.Fatalf("no metrics listener logged: %v\n%s", err, logs.String())
	}
	code, body := get("http://" + addr + "/metrics")
	if code != 200 || !strings.Contains(body, `fastsafe_auth_http_requests_total{code="200",method="GET",route="/healthz"} 1`) {
		t.Errorf("GET /metrics on %s: %d\n%s", addr, code, body)
	}
}
