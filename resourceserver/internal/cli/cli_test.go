package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/pkg/tokentest"
	"github.com/fastsafe/fastsafe/resourceserver/internal/config"
)

func run(t *testing.T, args []string, env map[string]string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(t.Context(), args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpDocumentsEveryFlag(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"healthcheck", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := run(t, args, nil)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			for _, want := range []string{"Usage:", "healthcheck", "RS_ADDR"} {
				if !strings.Contains(out, want) {
					t.Errorf("help lacks %q", want)
				}
			}
			for _, name := range config.FlagNames() {
				// A boolean flag has no value after its name.
				listed := strings.Contains(out, "--"+name+" ") || strings.Contains(out, "--"+name+"\n")
				if !listed || !strings.Contains(out, config.EnvName(name)) {
					t.Errorf("help does not document --%s and %s:\n%s", name, config.EnvName(name), out)
				}
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"every problem at once", []string{"--addr", "nowhere", "--log-level", "loud"},
			map[string]string{"RS_ISSUER": "auth.example.com"},
			[]string{"--addr", "--log-level", "--issuer"}},
		{"unknown flag", []string{"--port", "80"}, nil, []string{"-port"}},
		{"unexpected argument", []string{"serve"}, nil, []string{`unexpected argument "serve"`}},
		{"malformed environment", nil, map[string]string{"RS_SHUTDOWN_TIMEOUT": "soon"}, []string{"RS_SHUTDOWN_TIMEOUT"}},
		{"healthcheck validates too", []string{"healthcheck", "--addr", "x"}, nil, []string{"--addr"}},
		{"tracing settings", nil, map[string]string{"RS_ISSUER": "auth.example.com",
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
			[]string{"--issuer", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, tt.args, tt.env)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range append(tt.want, "--help") {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

func TestHealthcheck(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer healthy.Close()
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer sick.Close()
	_, healthyPort, _ := net.SplitHostPort(healthy.Listener.Addr().String())

	tests := []struct {
		name string
		addr string
		want int
	}{
		{"healthy", healthy.Listener.Addr().String(), 0},
		{"no host means loopback", ":" + healthyPort, 0},
		{"unspecified host means loopback", "0.0.0.0:" + healthyPort, 0},
		{"unhealthy", sick.Listener.Addr().String(), 1},
		{"nothing listening", "127.0.0.1:" + closedPort(t), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, []string{"healthcheck"}, map[string]string{"RS_ADDR": tt.addr})
			if code != tt.want {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.want, errOut)
			}
			if tt.want != 0 && !strings.Contains(errOut, "healthcheck") {
				t.Errorf("stderr does not explain the failure: %q", errOut)
			}
		})
	}
}

// TestServe runs the server as the command does, against a stand-in
// authorization server whose key set is discovered from its metadata, and
// shuts it down; with and without the cache of verified tokens.
func TestServe(t *testing.T) {
	for _, size := range []int{config.DefaultTokenCacheSize, 0} {
		t.Run(fmt.Sprint("token cache size ", size), func(t *testing.T) { testServe(t, size) })
	}
}

// serveConfig returns a valid configuration, changed by change, of a
// server listening on ln at base and trusting auth, a stand-in
// authorization server.
func serveConfig(t *testing.T, change func(*config.Config)) (cfg config.Config, ln net.Listener, base string, auth *tokentest.Issuer) {
	t.Helper()
	auth = tokentest.NewIssuer()
	t.Cleanup(auth.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base = "http://" + ln.Addr().String()
	cfg = config.Defaults()
	cfg.Addr = ln.Addr().String()
	cfg.Issuer = auth.URL
	cfg.PublicURL = base
	cfg.ShutdownDrain = 0 // no load balancer to wait for, unless the test says so
	change(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg, ln, base, auth
}

func testServe(t *testing.T, tokenCacheSize int) {
	cfg, ln, base, auth := serveConfig(t, func(c *config.Config) { c.TokenCacheSize = tokenCacheSize })

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, ln, logger, time.Now, nil) }()

	// The keys are fetched in the background; wait until they are.
	waitCtx, stopWaiting := context.WithTimeout(ctx, 30*time.Second)
	defer stopWaiting()
	for {
		req, _ := http.NewRequestWithContext(waitCtx, "GET", base+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-waitCtx.Done():
			t.Fatalf("the server did not become ready: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}

	token := auth.Sign(auth.Claims(cfg.Audience, "search", time.Now()))
	for range 2 { // the second time from the cache, if there is one
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/search?query=apple", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "found apple in search") {
			t.Fatalf("search: %d %s", resp.StatusCode, body)
		}
	}

	if code, _, errOut := run(t, []string{"healthcheck", "--addr", cfg.Addr}, nil); code != 0 {
		t.Errorf("healthcheck of the running server: exit %d, %s", code, errOut)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after its context ended")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}
