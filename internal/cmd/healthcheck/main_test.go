package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ping" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	tests := []struct {
		name string
		args []string
		code int
		say  string
	}{
		{"healthy", []string{srv.URL + "/ping"}, 0, ""},
		{"not found", []string{srv.URL + "/ready"}, 1, "404 Not Found"},
		{"no argument", nil, 2, "usage: healthcheck URL"},
		{"two arguments", []string{srv.URL, srv.URL}, 2, "usage"},
		{"not a URL", []string{"127.0.0.1:4180"}, 2, "is not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			if code := run(context.Background(), tt.args, &stderr); code != tt.code || !strings.Contains(stderr.String(), tt.say) {
				t.Errorf("run(%q) = %d, %q; want %d and %q", tt.args, code, stderr.String(), tt.code, tt.say)
			}
		})
	}
}
