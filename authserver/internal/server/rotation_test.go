package server_test

import (
	"context"
	"encoding/json"
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
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// TestScheduledRotationInServer runs a server with --key-rotation and an
// injected clock: once the active key is a period old the server publishes
// a successor by itself, which signs after --key-activate-after, while
// tokens of the old key keep verifying against the JWKS; the rotation is
// counted in the metrics and logged as an audit line.
func TestScheduledRotationInServer(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(time.Now().Truncate(time.Second))
	st, err := sqlstore.OpenSQLite(ctx, t.TempDir()+"/auth.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seed(t, st, clk.Now())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, url: "http://" + ln.Addr().String(), store: st, clock: clk, alg: "EdDSA"}
	cfg := config.Defaults()
	cfg.Issuer = e.url
	cfg.SigningAlg = e.alg
	cfg.BcryptCost = 5
	cfg.ShutdownDrain = 0
	cfg.KeyRotation = 2 * time.Hour
	cfg.KeyActivateAfter = 10 * time.Minute
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &logbuf.Buffer{}
	s, err := server.New(ctx, cfg, st, slog.New(slog.NewJSONHandler(logs, nil)), clk.Now,
		server.WithKeyRotationCheckInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Serve(srvCtx, ln) }()
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})

	kids := func() []string {
		resp, err := http.Get(e.url + "/.well-known/jwks.json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var set jwks.Set
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range set.Keys {
			out = append(out, k.Kid)
		}
		return out
	}
	issue := func() (string, string) {
		t.Helper()
		resp, body := e.post("/token", url.Values{"grant_type": {"client_credentials"}}, "svc", svcSecret)
		tok, _ := body["access_token"].(string)
		if resp.StatusCode != http.StatusOK || tok == "" {
			t.Fatalf("token: %d %v", resp.StatusCode, body)
		}
		e.verifyWithJWKS(tok)
		return tok, kidOf(t, tok)
	}

	first := kids()
	if len(first) != 1 {
		t.Fatalf("JWKS has %d keys at start, want 1", len(first))
	}
	_, oldKid := issue()

	clk.Advance(2 * time.Hour)
	eventually(t, "a new key published", func() bool { return len(kids()) == 2 })
	// Until it activates the old key signs, and its tokens verify.
	oldToken, kid := issue()
	if kid != oldKid {
		t.Errorf("a token is signed with %s before the new key activates, want %s", kid, oldKid)
	}
	clk.Advance(10 * time.Minute)
	_, newKid := issue()
	if newKid == oldKid {
		t.Fatalf("the old key still signs after the new one activated")
	}
	e.verifyWithJWKS(oldToken) // the old key stays published for its tokens

	rec := httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	metricsText, _ := io.ReadAll(rec.Body)
	if !strings.Contains(string(metricsText), `fastsafe_auth_key_rotations_total{trigger="schedule"} 1`) {
		t.Errorf("the rotation is not counted once in the metrics")
	}
	if !strings.Contains(logs.String(), `"msg":"signing key rotated on schedule","audit":true,"actor":"schedule","kid":"`+newKid+`"`) {
		t.Errorf("no audit line for the scheduled rotation:\n%s", logs.String())
	}
}
