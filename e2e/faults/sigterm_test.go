package faults_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// balancer sends load to a server as a load balancer would: until its
// health check sees /readyz unready, then no more. It counts the answers.
type balancer struct {
	sent, ok   atomic.Int64
	mu         sync.Mutex
	failures   []string
	unready    atomic.Bool // the health check saw 503 or no answer
	sawUnready atomic.Bool // ... and it was a 503 from a live server
}

func (b *balancer) fail(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.failures) < 10 {
		b.failures = append(b.failures, fmt.Sprintf(format, args...))
	}
}

// run sends request from workers goroutines, and checks readiness of base,
// until the health check sees the server unready; it returns a function
// that waits for the requests in flight.
func (b *balancer) run(base string, workers int, request func(c *http.Client) (*http.Response, error)) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for !b.unready.Load() {
			code, _ := readiness(base)
			if code != http.StatusOK {
				b.sawUnready.Store(code == http.StatusServiceUnavailable)
				b.unready.Store(true)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	for range workers {
		wg.Go(func() {
			c := &http.Client{Timeout: 30 * time.Second}
			for !b.unready.Load() {
				b.sent.Add(1)
				resp, err := request(c)
				if err != nil {
					b.fail("a request sent before the server was seen unready got no answer: %v", err)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.fail("a request sent before the server was seen unready: %d", resp.StatusCode)
					continue
				}
				b.ok.Add(1)
			}
		})
	}
	return wg.Wait
}

// sigtermUnderLoad sends SIGTERM to p while b sends it load: readiness
// must turn 503 at once, every request sent meanwhile get its 200, and the
// process exit cleanly.
func sigtermUnderLoad(t *testing.T, p *harness.Process, base string, request func(c *http.Client) (*http.Response, error)) {
	var b balancer
	wait := b.run(base, 8, request)
	time.Sleep(500 * time.Millisecond)
	p.Terminate()
	wait()
	if err := p.Wait(30 * time.Second); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	t.Logf("%d requests sent, %d answered 200", b.sent.Load(), b.ok.Load())
	for _, f := range b.failures {
		t.Error(f)
	}
	if !b.sawUnready.Load() {
		t.Error("the health check never saw /readyz answer 503 before the server went away")
	}
	if b.ok.Load() == 0 {
		t.Error("no request was served: the load was too light to test anything")
	}
}

// TestSIGTERMUnderLoad stops each server with SIGTERM while it serves a
// steady load, behind a stand-in load balancer that stops sending once
// /readyz is unready: no request sent is lost or refused, and the process
// exits cleanly.
func TestSIGTERMUnderLoad(t *testing.T) {
	auth := harness.StartAuth(t, harness.AuthOptions{Env: map[string]string{"AUTH_SHUTDOWN_DRAIN": "1s", "AUTH_LOG_LEVEL": "warn"}})
	secret := auth.AddClient("svc", "--grants", "client_credentials", "--scopes", "search", "--audience", "search-api")
	rs := harness.StartResource(t, auth, harness.ResourceOptions{Env: map[string]string{"RS_SHUTDOWN_DRAIN": "1s", "RS_LOG_LEVEL": "warn"}})
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	tokenRequest := func(c *http.Client) (*http.Response, error) {
		req, err := http.NewRequest(http.MethodPost, auth.URL+"/token", strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("svc", url.QueryEscape(secret))
		return c.Do(req)
	}
	a := postForm(client(), auth.URL+"/token", "svc", secret, url.Values{"grant_type": {"client_credentials"}})
	if a.status != http.StatusOK {
		t.Fatalf("client_credentials: %d %q %v", a.status, a.code, a.err)
	}

	t.Run("resource server", func(t *testing.T) {
		sigtermUnderLoad(t, rs.Process, rs.URL, func(c *http.Client) (*http.Response, error) {
			req, err := http.NewRequest(http.MethodGet, rs.URL+"/search?query=apple", nil)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+a.access)
			return c.Do(req)
		})
	})
	t.Run("auth server", func(t *testing.T) {
		sigtermUnderLoad(t, auth.Process, auth.URL, tokenRequest)
	})
}
