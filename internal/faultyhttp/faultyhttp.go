package faultyhttp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Modes of a Proxy.
const (
	Up   = "up"   // answers with what the resource answers
	Slow = "slow" // holds requests until the mode changes
	Dead = "dead" // answers 502, as a proxy in front of a crashed server
)

// Proxy serves the resource at a URL of its own, in its current mode.
type Proxy struct {
	*httptest.Server
	mu      sync.Mutex
	mode    string
	release chan struct{} // frees the held requests, to answer as the new mode says
}

// New serves GET source through a proxy, up, until the test ends.
func New(t testing.TB, source string) *Proxy {
	t.Helper()
	p := &Proxy{mode: Up, release: make(chan struct{})}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		mode, release := p.mode, p.release
		p.mu.Unlock()
		if mode == Slow {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			p.mu.Lock()
			mode = p.mode
			p.mu.Unlock()
		}
		if mode == Dead {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		resp, err := http.Get(source)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for _, h := range []string{"Content-Type", "Cache-Control"} {
			if v := resp.Header.Get(h); v != "" {
				w.Header().Set(h, v)
			}
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(func() {
		p.Set(Up)
		p.Close()
	})
	return p
}

// Set switches the proxy to mode; requests held while it was slow then
// answer as mode says.
func (p *Proxy) Set(mode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == Slow {
		close(p.release)
		p.release = make(chan struct{})
	}
	p.mode = mode
}
