package oautherr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantHeader map[string]string
		wantLogged bool
	}{
		{"invalid_request", InvalidRequest("x is required"), 400, CodeInvalidRequest, nil, false},
		{"invalid_client", InvalidClient("no"), 401, CodeInvalidClient, map[string]string{"WWW-Authenticate": `Basic realm="fastsafe", charset="UTF-8"`}, false},
		{"invalid_grant", InvalidGrant("no"), 400, CodeInvalidGrant, nil, false},
		{"unauthorized_client", UnauthorizedClient("no"), 400, CodeUnauthorizedClient, nil, false},
		{"unsupported_grant_type", UnsupportedGrantType("no"), 400, CodeUnsupportedGrantType, nil, false},
		{"invalid_scope", InvalidScope("no"), 400, CodeInvalidScope, nil, false},
		{"invalid_target", InvalidTarget("no"), 400, CodeInvalidTarget, nil, false},
		{"wrapped", fmt.Errorf("handler: %w", InvalidGrant("no")), 400, CodeInvalidGrant, nil, false},
		{"method", MethodNotAllowed("POST"), 405, CodeMethodNotAllowed, map[string]string{"Allow": "POST"}, false},
		{"not found", NotFound(), 404, CodeNotFound, nil, false},
		{"unavailable", Unavailable(errors.New("db down")), 503, CodeTemporarilyUnavailable, map[string]string{"Retry-After": "5"}, true},
		{"too many requests", TooManyRequests(90*time.Second + time.Millisecond), 429, CodeTemporarilyUnavailable, map[string]string{"Retry-After": "91"}, false},
		{"too many requests, under a second", TooManyRequests(time.Millisecond), 429, CodeTemporarilyUnavailable, map[string]string{"Retry-After": "1"}, false},
		{"cancelled", context.Canceled, 503, CodeTemporarilyUnavailable, nil, true},
		{"plain error", errors.New("boom"), 500, CodeServerError, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			rec := httptest.NewRecorder()
			Write(rec, slog.New(slog.NewTextHandler(&logs, nil)), tt.err)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			var body map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body["error"] != tt.wantCode {
				t.Errorf("error = %q, want %q", body["error"], tt.wantCode)
			}
			if strings.Contains(rec.Body.String(), "db down") || strings.Contains(rec.Body.String(), "boom") {
				t.Errorf("internal cause sent to the client: %s", rec.Body)
			}
			if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Pragma") != "no-cache" {
				t.Errorf("caching headers = %v", rec.Header())
			}
			for k, v := range tt.wantHeader {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if logged := logs.Len() > 0; logged != tt.wantLogged {
				t.Errorf("logged = %v, want %v (%s)", logged, tt.wantLogged, logs.String())
			}
		})
	}
}
