package clientcred_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/fastsafe/fastsafe/pkg/clientcred"
)

// TestConcurrentCallersShareOneFailure: while the token endpoint is down
// and slow, callers that need a token at once wait for the one request in
// flight and share its error; the endpoint sees one request, not one per
// caller in turn. Once it answers again, the next caller gets a token.
func TestConcurrentCallersShareOneFailure(t *testing.T) {
	var hits atomic.Int64
	var up atomic.Bool
	good := newTokenEndpoint(t, 3600)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if up.Load() {
			good.serve(w, r)
			return
		}
		time.Sleep(200 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":"temporarily_unavailable"}`))
	}))
	t.Cleanup(srv.Close)
	cfg := good.config()
	cfg.TokenURL = srv.URL
	cfg.AuthStyle = oauth2.AuthStyleInHeader // one request per attempt, no auto-detection
	ts := clientcred.TokenSource(t.Context(), cfg)

	const callers = 50
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := make(chan struct{})
	for range callers {
		wg.Go(func() {
			<-start
			if _, err := ts.Token(); err != nil {
				failed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if failed.Load() != callers {
		t.Fatalf("%d of %d callers failed with the token endpoint down", failed.Load(), callers)
	}
	// Goroutines that arrived after the first request ended may have
	// started a second; never one per caller.
	if n := hits.Load(); n > 2 {
		t.Fatalf("%d callers made %d token requests to an endpoint that was down, want 1 (2 at most)", callers, n)
	}

	up.Store(true)
	tok, err := ts.Token()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("once the endpoint is back: %v", err)
	}
}
