package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/internal/faultyhttp"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
	"github.com/fastsafe/fastsafe/resourceserver/internal/config"
)

// runServe starts serve with cfg on ln and returns a function that stops
// it (cancelling its context) and returns its error.
func runServe(t *testing.T, cfg config.Config, ln interface{ Close() error }, start func(ctx context.Context) error) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- start(ctx) }()
	var stopped bool
	var err error
	t.Cleanup(func() {
		if !stopped {
			cancel()
			<-done
		}
	})
	return func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-done
		}
		return err
	}
}

// fetch sends GET u with the optional bearer token and returns the status,
// the headers and the body. A "Connection: close" of the answer is in the
// headers.
func fetch(t *testing.T, u, token string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.Close {
		resp.Header.Set("Connection", "close")
	}
	return resp.StatusCode, resp.Header, string(b)
}

// waitReady polls /readyz of base until it answers 200.
func waitReady(t *testing.T, base string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if code, _, _ := fetch(t, base+"/readyz", ""); code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not become ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeDrains: after SIGTERM (its context ending) the server answers
// /readyz with 503 but goes on serving, closing each connection after its
// answer, for --shutdown-drain; then it stops.
func TestServeDrains(t *testing.T) {
	const drainFor = 700 * time.Millisecond
	cfg, ln, base, auth := serveConfig(t, func(c *config.Config) { c.ShutdownDrain = drainFor })
	stop := runServe(t, cfg, ln, func(ctx context.Context) error {
		return serve(ctx, cfg, ln, slog.New(slog.DiscardHandler), time.Now, nil)
	})
	waitReady(t, base)
	token := auth.Sign(auth.Claims(cfg.Audience, "search", time.Now()))

	stopped := make(chan error, 1)
	began := time.Now()
	go func() { stopped <- stop() }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if code, _, body := fetch(t, base+"/readyz", ""); code == http.StatusServiceUnavailable {
			if !strings.Contains(body, "shutting down") {
				t.Fatalf("readyz while draining: %s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("readyz never turned 503 after the shutdown began")
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, header, body := fetch(t, base+"/search?query=apple", token)
	if code != http.StatusOK || !strings.Contains(body, "found apple") {
		t.Fatalf("search while draining: %d %s, want it served", code, body)
	}
	if header.Get("Connection") != "close" {
		t.Errorf("an answer while draining keeps its connection open: Connection %q", header.Get("Connection"))
	}
	if err := <-stopped; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if took := time.Since(began); took < drainFor {
		t.Errorf("stopped %s after the shutdown began, before the drain of %s ended", took, drainFor)
	}
}

// wantUnavailable checks that a is the 503 of a token that cannot be
// verified now: Retry-After, no challenge, temporarily_unavailable.
func wantUnavailable(t *testing.T, what string, code int, header http.Header, body string) {
	t.Helper()
	if code != http.StatusServiceUnavailable || header.Get("Retry-After") == "" || header.Get("WWW-Authenticate") != "" ||
		!strings.Contains(body, "temporarily_unavailable") {
		t.Fatalf("%s: %d %v %s, want 503 with Retry-After and no challenge", what, code, header, body)
	}
}

// TestServeKeysUnavailable: a token whose key is not cached gets 503 with
// Retry-After while the key set cannot be fetched (the key endpoint down,
// or slower than --jwks-wait, which bounds the wait), and 401 only once a
// key set was fetched without its key.
func TestServeKeysUnavailable(t *testing.T) {
	issuer := tokentest.NewIssuer()
	t.Cleanup(issuer.Close)
	keys := faultyhttp.New(t, issuer.JWKSURL())
	keys.Set(faultyhttp.Dead)
	cfg, ln, base, _ := serveConfig(t, func(c *config.Config) {
		c.Issuer = issuer.URL
		c.JWKSURL = keys.URL
		c.JWKSWait = 300 * time.Millisecond
	})
	// A clock the test moves past the cooldown between fetches that
	// unknown key ids trigger.
	var skew atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	pastCooldown := func() { skew.Add(int64(time.Minute)) }
	runServe(t, cfg, ln, func(ctx context.Context) error {
		return serve(ctx, cfg, ln, slog.New(slog.DiscardHandler), now, nil)
	})
	good := issuer.Sign(issuer.Claims(cfg.Audience, "search", time.Now()))

	// The issuer is down from the start: not ready, and tokens cannot be
	// told valid or not.
	if code, _, body := fetch(t, base+"/readyz", ""); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz before any key set: %d %s, want 503", code, body)
	}
	code, header, body := fetch(t, base+"/search?query=apple", good)
	wantUnavailable(t, "a token before any key set", code, header, body)

	keys.Set(faultyhttp.Up)
	waitReady(t, base)
	if code, _, body := fetch(t, base+"/search?query=apple", good); code != http.StatusOK {
		t.Fatalf("search with a good token: %d %s", code, body)
	}

	// A token of a key the server has not seen, with the key endpoint
	// slow: the request waits --jwks-wait, not more.
	rotated := tokentest.Sign(tokentest.NewKey(), "rotated", issuer.Claims(cfg.Audience, "search", time.Now()))
	keys.Set(faultyhttp.Slow)
	pastCooldown()
	began := time.Now()
	code, header, body = fetch(t, base+"/search?query=apple", rotated)
	wantUnavailable(t, "a new key with a slow key endpoint", code, header, body)
	if waited := time.Since(began); waited > 5*time.Second {
		t.Fatalf("the request waited %s on a slow key endpoint, with --jwks-wait 300ms", waited)
	}
	if code, _, body := fetch(t, base+"/search?query=apple", good); code != http.StatusOK {
		t.Fatalf("search with a cached key while the key endpoint is slow: %d %s", code, body)
	}

	// The key endpoint answers, with a key set that lacks the key: 401.
	keys.Set(faultyhttp.Up)
	pastCooldown()
	if code, header, _ := fetch(t, base+"/search?query=apple", rotated); code != http.StatusUnauthorized ||
		!strings.Contains(header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("a key the fetched key set lacks: %d %v, want 401 invalid_token", code, header)
	}
}
