package logconfig

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/pkg/requestid"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name      string
		level     string
		format    string
		wantDebug bool
		wantInfo  bool
		wantJSON  bool
	}{
		{"text info", "info", "text", false, true, false},
		{"text debug", "debug", "text", true, true, false},
		{"json warn", "warn", "json", false, false, true},
		{"upper case", "DEBUG", "JSON", true, true, true},
		{"error", "error", "text", false, false, false},
		{"invalid level means info", "loud", "text", false, true, false},
		{"invalid format means text", "info", "xml", false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := New(&buf, tt.level, tt.format)
			l.Debug("debug-line")
			l.Info("info-line")
			l.Error("error-line", "k", "v")
			out := buf.String()
			if got := strings.Contains(out, "debug-line"); got != tt.wantDebug {
				t.Errorf("debug logged = %v, want %v:\n%s", got, tt.wantDebug, out)
			}
			if got := strings.Contains(out, "info-line"); got != tt.wantInfo {
				t.Errorf("info logged = %v, want %v:\n%s", got, tt.wantInfo, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			last := lines[len(lines)-1]
			var rec map[string]any
			isJSON := json.Unmarshal([]byte(last), &rec) == nil
			if isJSON != tt.wantJSON {
				t.Errorf("JSON = %v, want %v: %s", isJSON, tt.wantJSON, last)
			}
			if isJSON && (rec["msg"] != "error-line" || rec["k"] != "v") {
				t.Errorf("JSON record = %v", rec)
			}
			if !isJSON && !strings.Contains(last, "msg=error-line k=v") {
				t.Errorf("text record = %q", last)
			}
		})
	}
}

func TestNewAddsRequestID(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			log := New(&out, "info", format)
			log.InfoContext(requestid.NewContext(context.Background(), "req-7"), "with id")
			log.Info("without id")
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], "req-7") || strings.Contains(lines[1], requestid.LogKey) {
				t.Errorf("lines = %q, want the id on the first only", lines)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	const badLevel, badFormat = "is not one of debug, info, warn, error", "is not text or json"
	tests := []struct {
		name, level, format   string
		wantLevel, wantFormat string
	}{
		{"lower case", "debug", "text", "", ""},
		{"upper case", "WARN", "JSON", "", ""},
		{"info", "info", "json", "", ""},
		{"error", "error", "Text", "", ""},
		{"unknown", "verbose", "xml", badLevel, badFormat},
		{"near misses", "warning", "jsonl", badLevel, badFormat},
		{"empty", "", "", badLevel, badFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LevelProblem(tt.level); got != tt.wantLevel {
				t.Errorf("LevelProblem(%q) = %q, want %q", tt.level, got, tt.wantLevel)
			}
			if got := FormatProblem(tt.format); got != tt.wantFormat {
				t.Errorf("FormatProblem(%q) = %q, want %q", tt.format, got, tt.wantFormat)
			}
		})
	}
}
