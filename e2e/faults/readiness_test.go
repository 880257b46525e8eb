package faults_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"
)

// readiness is GET /readyz of base: the status code and status text, or
// code 0 if nothing answered.
func readiness(base string) (int, string) {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(base + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Status
}

// waitReadiness polls /readyz of base until it answers code with a status
// that want accepts, for at most a minute.
func waitReadiness(t *testing.T, base string, code int, want func(status string) bool) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got, status := readiness(base)
		if got == code && (want == nil || want(status)) {
			return status
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz: %d %q, still not %d after a minute", base, got, status, code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// watcher polls /readyz of base until stopped, and remembers every status
// code it saw, in order, without repeats.
type watcher struct {
	mu    sync.Mutex
	seen  []int
	stop  chan struct{}
	ended chan struct{}
}

func watchReadiness(base string) *watcher {
	w := &watcher{stop: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(w.ended)
		for {
			code, _ := readiness(base)
			w.mu.Lock()
			if len(w.seen) == 0 || w.seen[len(w.seen)-1] != code {
				w.seen = append(w.seen, code)
			}
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return w
}

// Stop stops the polling and returns the codes seen.
func (w *watcher) Stop() []int {
	close(w.stop)
	<-w.ended
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen
}
