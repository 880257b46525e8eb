package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8000/":      true,
		"http://127.1.2.3/x":          true,
		"http://localhost:9096/token": true,
		"http://[::1]:80/":            true,
		"http://10.0.0.1/":            false,
		"http://192.168.1.1/":         false,
		"http://example.com/":         false,
		"http://[2001:db8::1]/":       false,
		"ftp://127.0.0.1/":            false,
		"::":                          false,
	} {
		if err := CheckLoopback(url); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok %v", url, err, ok)
		}
	}
}

func TestRunRefusesUnboundedOrRemoteLoad(t *testing.T) {
	good := Load{Connections: 1, Duration: time.Second, MaxRequests: 10}
	for name, tt := range map[string]struct {
		url string
		l   Load
	}{
		"no connections":   {"http://127.0.0.1/", Load{Duration: time.Second, MaxRequests: 1}},
		"too many conns":   {"http://127.0.0.1/", Load{Connections: MaxConnections + 1, Duration: time.Second, MaxRequests: 1}},
		"no duration":      {"http://127.0.0.1/", Load{Connections: 1, MaxRequests: 1}},
		"too long":         {"http://127.0.0.1/", Load{Connections: 1, Duration: MaxDuration, Warmup: time.Second, MaxRequests: 1}},
		"no request bound": {"http://127.0.0.1/", Load{Connections: 1, Duration: time.Second}},
		"negative rate":    {"http://127.0.0.1/", Load{Connections: 1, Duration: time.Second, MaxRequests: 1, Rate: -1}},
		"remote target":    {"http://203.0.113.7/", good},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Run(t.Context(), NewClient(1), Target{Name: name, URL: tt.url}, tt.l); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestRun(t *testing.T) {
	var hits, forms atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Method == http.MethodPost {
			if r.Header.Get("X-Test") != "yes" || r.FormValue("grant_type") != "client_credentials" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			forms.Add(1)
		}
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	c := NewClient(4)

	t.Run("bounded by requests", func(t *testing.T) {
		before := hits.Load()
		s, err := Run(t.Context(), c, Target{Name: "root", URL: srv.URL + "/"},
			Load{Connections: 4, Duration: time.Minute, MaxRequests: 100})
		if err != nil {
			t.Fatal(err)
		}
		if s.Requests != 100 || s.Errors != 0 || hits.Load()-before != 100 {
			t.Errorf("summary %+v after %d hits, want exactly 100 requests", s, hits.Load()-before)
		}
		if s.Throughput <= 0 || s.P50 <= 0 || s.P50 > s.P99 || s.P99 > s.Max {
			t.Errorf("inconsistent summary %+v", s)
		}
	})
	t.Run("bounded by time", func(t *testing.T) {
		start := time.Now()
		s, err := Run(t.Context(), c, Target{Name: "root", URL: srv.URL + "/"},
			Load{Connections: 2, Duration: 200 * time.Millisecond, MaxRequests: MaxRequests})
		if err != nil {
			t.Fatal(err)
		}
		// The last requests are waited for: the elapsed time may pass
		// the duration, by one request's time.
		if s.Requests == 0 || s.Elapsed < 200*time.Millisecond || time.Since(start) > 10*time.Second {
			t.Errorf("summary %+v", s)
		}
	})
	t.Run("paced", func(t *testing.T) {
		s, err := Run(t.Context(), c, Target{Name: "root", URL: srv.URL + "/"},
			Load{Connections: 2, Duration: time.Minute, MaxRequests: 20, Rate: 1000})
		if err != nil {
			t.Fatal(err)
		}
		// 20 requests at 1000 per second cannot all be sent in less than
		// the 19 ms between the first scheduled start and the last.
		if s.Requests != 20 || s.Elapsed < 19*time.Millisecond {
			t.Errorf("summary %+v", s)
		}
	})
	t.Run("posts forms with headers", func(t *testing.T) {
		s, err := Run(t.Context(), c, Target{Name: "token", Method: http.MethodPost, URL: srv.URL + "/token",
			Header: http.Header{"X-Test": {"yes"}}, Body: "grant_type=client_credentials"},
			Load{Connections: 1, Duration: time.Minute, MaxRequests: 5})
		if err != nil {
			t.Fatal(err)
		}
		if s.Requests != 5 || forms.Load() != 5 {
			t.Errorf("summary %+v, %d forms seen", s, forms.Load())
		}
	})
	t.Run("whole flows", func(t *testing.T) {
		var calls atomic.Int64
		flow := func(ctx context.Context, c *http.Client) error {
			if calls.Add(1)%2 == 0 {
				return errors.New("second flow fails")
			}
			return nil
		}
		s, err := Run(t.Context(), c, Target{Name: "flow", URL: srv.URL + "/", Do: flow},
			Load{Connections: 1, Duration: time.Minute, MaxRequests: 6})
		if err != nil {
			t.Fatal(err)
		}
		if s.Requests != 3 || s.Errors != 3 || calls.Load() != 6 {
			t.Errorf("summary %+v after %d flows", s, calls.Load())
		}
	})
	t.Run("alternating", func(t *testing.T) {
		s, err := RunAlternating(t.Context(), c, []Target{{Name: "a", URL: srv.URL + "/"}, {Name: "b", URL: srv.URL + "/missing", Status: http.StatusNotFound}},
			Load{Connections: 2, Duration: 200 * time.Millisecond, Warmup: 10 * time.Millisecond, MaxRequests: MaxRequests}, 4)
		if err != nil || len(s) != 2 {
			t.Fatalf("RunAlternating = %+v, %v", s, err)
		}
		for _, x := range s {
			// Each target ran four slices of 50ms.
			if x.Requests == 0 || x.Errors != 0 || x.Elapsed < 200*time.Millisecond {
				t.Errorf("summary %+v", x)
			}
		}
		if s[0].Name != "a" || s[1].Name != "b" {
			t.Errorf("names %q, %q", s[0].Name, s[1].Name)
		}
		if _, err := RunAlternating(t.Context(), c, nil, Load{Connections: 1, Duration: time.Second, MaxRequests: 1}, 0); err == nil {
			t.Error("zero slices accepted")
		}
		if _, err := RunAlternating(t.Context(), c, []Target{{URL: "http://192.0.2.1/"}}, Load{Connections: 1, Duration: time.Second, MaxRequests: 1}, 1); err == nil {
			t.Error("remote target accepted")
		}
	})
	t.Run("server CPU per request", func(t *testing.T) {
		var reads atomic.Int64
		cpu := func() (time.Duration, error) { return time.Duration(reads.Add(1)) * 10 * time.Millisecond, nil }
		s, err := Run(t.Context(), c, Target{Name: "cpu", URL: srv.URL + "/", CPU: cpu},
			Load{Connections: 1, Duration: time.Minute, MaxRequests: 5})
		// Read once before and once after: 10ms over 5 requests.
		if err != nil || s.CPU != 2*time.Millisecond || reads.Load() != 2 {
			t.Errorf("summary %+v, %v, %d reads", s, err, reads.Load())
		}
		broken := func() (time.Duration, error) { return 0, errors.New("no such process") }
		if _, err := Run(t.Context(), c, Target{Name: "cpu", URL: srv.URL + "/", CPU: broken},
			Load{Connections: 1, Duration: time.Minute, MaxRequests: 1}); err == nil {
			t.Error("the CPU reader's error was lost")
		}
	})
	t.Run("varies requests", func(t *testing.T) {
		var n atomic.Int64
		s, err := Run(t.Context(), c, Target{Name: "vary", URL: srv.URL + "/", Vary: func(r *http.Request) {
			if n.Add(1)%2 == 0 {
				r.URL.Path = "/missing"
			}
		}}, Load{Connections: 1, Duration: time.Minute, MaxRequests: 10})
		if err != nil || s.Requests != 5 || s.Errors != 5 {
			t.Errorf("summary %+v, %v", s, err)
		}
	})
	t.Run("counts unexpected statuses as errors", func(t *testing.T) {
		s, err := Run(t.Context(), c, Target{Name: "missing", URL: srv.URL + "/missing"},
			Load{Connections: 1, Duration: time.Minute, MaxRequests: 3, Warmup: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if s.Requests != 0 || s.Errors != 3 {
			t.Errorf("summary %+v", s)
		}
		s, err = Run(t.Context(), c, Target{Name: "missing", URL: srv.URL + "/missing", Status: http.StatusNotFound},
			Load{Connections: 1, Duration: time.Minute, MaxRequests: 3})
		if err != nil || s.Requests != 3 || s.Errors != 0 {
			t.Errorf("summary %+v, %v", s, err)
		}
	})
}
