package reqlog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMiddleware(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantLevel  string
		wantClient string
	}{
		{"ok with client", func(w http.ResponseWriter, r *http.Request) {
			SetClientID(r.Context(), "web")
			_, _ = w.Write([]byte("hi"))
		}, 200, "INFO", "web"},
		{"explicit status", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }, 401, "INFO", ""},
		{"server error", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, 500, "ERROR", ""},
		{"unavailable", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, 503, "WARN", ""},
		{"panic", func(w http.ResponseWriter, r *http.Request) { panic("bug") }, 500, "ERROR", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			now := time.Unix(0, 0)
			h := Middleware(logger, func() time.Time { return now })(tt.handler)
			req := httptest.NewRequest("POST", "/token?client_secret=hunter2", nil)
			req.Header.Set("Authorization", "Basic d2ViOmh1bnRlcjI=")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			var entry map[string]any
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &entry); err != nil {
				t.Fatal(err)
			}
			if entry["msg"] != "request" || entry["status"] != float64(tt.wantStatus) || entry["level"] != tt.wantLevel || entry["path"] != "/token" {
				t.Errorf("log entry = %v", entry)
			}
			if got, _ := entry["client_id"].(string); got != tt.wantClient {
				t.Errorf("client_id = %q, want %q", got, tt.wantClient)
			}
			if strings.Contains(logs.String(), "hunter2") || strings.Contains(logs.String(), "d2ViOmh1bnRlcjI") {
				t.Errorf("credentials logged: %s", logs.String())
			}
		})
	}
}

// A client ID recorded outside the middleware goes nowhere: it must not
// panic, and must not leak into the log line of a later request.
func TestSetClientIDOutsideMiddleware(t *testing.T) {
	outside := httptest.NewRequest("GET", "/", nil)
	SetClientID(outside.Context(), "stray")
	var logs bytes.Buffer
	h := Middleware(slog.New(slog.NewJSONHandler(&logs, nil)), time.Now)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), outside)
	if strings.Contains(logs.String(), "stray") || !strings.Contains(logs.String(), `"msg":"request"`) {
		t.Errorf("log = %s", logs.String())
	}
}
