package healthcheck

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestGet(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("OK")) })
	mux.HandleFunc("/down", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	mux.Handle("/moved", http.RedirectHandler("/ok", http.StatusFound))
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// A proxy from the environment that would answer 200 to everything
	// must not be asked.
	proxy := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer proxy.Close()
	t.Setenv("HTTP_PROXY", proxy.URL)

	tests := []struct {
		path string
		want string // in the error; "" for healthy
	}{
		{"/ok", ""},
		{"/down", "503 Service Unavailable"},
		{"/moved", "302 Found"},
		{"/slow", "deadline exceeded"},
		{"/missing", "404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			err := Get(context.Background(), srv.URL+tt.path, 200*time.Millisecond)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Get = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Get = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := Get(context.Background(), "http://127.0.0.1:1/healthz", time.Second); err == nil {
		t.Error("Get of a closed port succeeded")
	}
}
