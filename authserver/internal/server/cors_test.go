package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCORS(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := cors([]string{"http://localhost:8000"}, inner)
	tests := []struct {
		name        string
		method      string
		origin      string
		preflight   bool
		wantStatus  int
		wantAllowed string
	}{
		{"allowed preflight", "OPTIONS", "http://localhost:8000", true, 204, "http://localhost:8000"},
		{"allowed POST", "POST", "http://localhost:8000", false, 418, "http://localhost:8000"},
		{"other origin preflight", "OPTIONS", "https://evil.example", true, 418, ""},
		{"other origin POST", "POST", "https://evil.example", false, 418, ""},
		{"no origin", "POST", "", false, 418, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/token", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.preflight {
				r.Header.Set("Access-Control-Request-Method", "POST")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tt.wantAllowed {
				t.Errorf("Allow-Origin = %q, want %q", got, tt.wantAllowed)
			}
			if rec.Header().Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials must never be allowed")
			}
		})
	}
	// With no origins configured, nothing changes: no CORS headers, not
	// even Vary.
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("OPTIONS", "/token", nil)
	r.Header.Set("Origin", "http://localhost:8000")
	r.Header.Set("Access-Control-Request-Method", "POST")
	cors(nil, inner).ServeHTTP(rec, r)
	if rec.Code != http.StatusTeapot || len(rec.Header()) != 0 {
		t.Errorf("without origins: %d %v", rec.Code, rec.Header())
	}
}
