package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/internal/logbuf"
	"github.com/fastsafe/fastsafe/resourceserver/internal/config"
)

// TestServeMetricsAddr runs the server with /metrics on an address of its
// own: the main address does not serve it, the metrics address does, with
// the token cache and key set metrics.
func TestServeMetricsAddr(t *testing.T) {
	cfg, ln, base, auth := serveConfig(t, func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := &logbuf.Buffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, ln, slog.New(slog.NewJSONHandler(logs, nil)), time.Now, nil) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	get := func(u string, header http.Header) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// The keys are fetched in the background; wait until they are.
	for deadline := time.Now().Add(30 * time.Second); ; {
		if code, _ := get(base+"/readyz", nil); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not become ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	token := auth.Sign(auth.Claims(cfg.Audience, "search", time.Now()))
	for range 2 {
		if code, body := get(base+"/search?query=apple", http.Header{"Authorization": {"Bearer " + token}}); code != 200 {
			t.Fatalf("search: %d %s", code, body)
		}
	}
	if code, _ := get(base+"/metrics", nil); code != http.StatusNotFound {
		t.Errorf("/metrics on the main address: %d, want 404", code)
	}
	listening, err := logs.Last("metrics listening")
	addr, _ := listening["addr"].(string)
	if err != nil || addr == "" {
		t.Fatalf("no metrics listener logged: %v\n%s", err, logs.String())
	}
	code, body := get("http://"+addr+"/metrics", nil)
	if code != 200 {
		t.Fatalf("GET /metrics on %s: %d", addr, code)
	}
	for _, want := range []string{
		`fastsafe_rs_http_requests_total{code="200",method="GET",route="/search"} 2`,
		`fastsafe_rs_token_verifications_total{outcome="ok"} 2`,
		"fastsafe_rs_token_cache_hits_total 1",
		"fastsafe_rs_token_cache_misses_total 1",
		"fastsafe_rs_token_cache_entries 1",
		`fastsafe_rs_jwks_fetches_total{result="ok"}`,
		"fastsafe_rs_jwks_keys 1",
		"fastsafe_rs_jwks_last_success_timestamp_seconds",
		"go_goroutines",
		"process_cpu_seconds_total",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, token[strings.LastIndex(token, ".")+1:]) || strings.Contains(body, "alice") {
		t.Error("/metrics holds a token or a subject")
	}
}
