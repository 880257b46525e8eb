package config

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestLogger(t *testing.T) {
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Defaults()
			c.LogLevel, c.LogFormat = tt.level, tt.format
			var buf bytes.Buffer
			l := c.Logger(&buf)
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
