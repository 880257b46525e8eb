package main

import (
	"io"
	"strings"
	"testing"
)

func TestCount(t *testing.T) {
	for n, want := range map[int]string{10: "10", 5000: "5k", 100_000: "100k", 1_000_000: "1M", 1500: "1500"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRunRefusesBadSettings(t *testing.T) {
	env := func(k string) string {
		return map[string]string{"BENCHSEED_PASSWORD": "pw", "BENCHSEED_CLIENT_SECRET": "s"}[k]
	}
	formats := []string{"-user-format", "u%d", "-client-format", "c%d", "-token-format", "t%d"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "usage"},
		{"remote server", append([]string{"latency", "-small", "http://example.com", "-big", "http://127.0.0.1:1"}, formats...), "loopback"},
		{"no formats", []string{"latency", "-small", "http://127.0.0.1:1", "-big", "http://127.0.0.1:2"}, "-user-format"},
		{"sustain without -size", append([]string{"sustain", "-big", "http://127.0.0.1:1"}, formats...), "-size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			if code := run(t.Context(), tt.args, env, io.Discard, &stderr); code == 0 || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("run(%q) = %d, stderr %q; want a failure naming %q", tt.args, code, stderr.String(), tt.want)
			}
		})
	}
}
