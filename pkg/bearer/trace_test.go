package bearer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/pkg/tracing/tracingtest"
)

const incomingTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

// TestAuthenticateContinuesTheTrace: a handler behind Authenticate runs in
// the trace of the request's traceparent, so that its own calls stay in
// the caller's trace, whether the request is admitted or not (the refusal
// is logged in it too).
func TestAuthenticateContinuesTheTrace(t *testing.T) {
	var seen trace.SpanContext
	h := Authenticate(newFakeVerifier(), testOpts)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen = trace.SpanContextFromContext(r.Context())
	}))
	r := httptest.NewRequest("GET", "/search", nil)
	r.Header.Set("Authorization", "Bearer search-token")
	r.Header.Set("traceparent", incomingTraceparent)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if seen.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || seen.SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("the handler runs in %v, want the incoming trace", seen)
	}
}

// TestTraceCheckSpan: inside a recorded trace the token is verified in a
// span that names the client, or the RFC 6750 error with a fixed
// description, and never holds the token.
func TestTraceCheckSpan(t *testing.T) {
	tests := []struct {
		token, wantClient, wantError string
	}{
		{"search-token", "web", ""},
		{"expired-token", "", "invalid_token"},
		{"cannot-parse-me", "", "invalid_token"}, // a verifier error quoting the token
		{"", "", NoTokenError},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			rec := tracingtest.NewRecorder()
			ctx, root := rec.Tracer("test").Start(context.Background(), "GET /search")
			r := httptest.NewRequestWithContext(ctx, "GET", "/search", nil)
			if tt.token != "" {
				r.Header.Set("Authorization", "Bearer "+tt.token)
			}
			got, c, err := testOpts.TraceCheck(r, newFakeVerifier())
			root.End()
			if got != r {
				t.Error("TraceCheck replaced the request of a context already in a trace")
			}
			if (err == nil) != (tt.wantError == "") || (c != nil) != (tt.wantError == "") {
				t.Fatalf("TraceCheck = %v, %v", c, err)
			}
			spans := rec.Named("verify token")
			if len(spans) != 1 {
				t.Fatalf("%d verify spans, want 1", len(spans))
			}
			s := spans[0]
			if s.Parent.SpanID() != root.SpanContext().SpanID() {
				t.Errorf("span under %v, want the request's", s.Parent)
			}
			client, _ := s.Attr("oauth.client_id")
			oauthErr, _ := s.Attr("oauth.error")
			if client.AsString() != tt.wantClient || oauthErr.AsString() != tt.wantError {
				t.Errorf("client %q error %q, want %q %q", client.AsString(), oauthErr.AsString(), tt.wantClient, tt.wantError)
			}
			if (s.Status == codes.Error) != (tt.wantError != "") {
				t.Errorf("status %v", s.Status)
			}
			for _, a := range s.Attributes {
				if tt.token != "" && strings.Contains(a.Value.String(), tt.token) {
					t.Errorf("attribute %s holds the token", a.Key)
				}
			}
			if tt.token != "" && strings.Contains(s.Description, tt.token) {
				t.Errorf("status description %q holds the token", s.Description)
			}
		})
	}
}

// TestTraceCheckOutsideTrace: with no trace, TraceCheck is Check and
// allocates nothing more.
func TestTraceCheckOutsideTrace(t *testing.T) {
	v := newFakeVerifier()
	r := httptest.NewRequest("GET", "/search", nil)
	r.Header.Set("Authorization", "Bearer search-token")
	check := testing.AllocsPerRun(100, func() { _, _ = testOpts.Check(r, v) })
	traced := testing.AllocsPerRun(100, func() { _, _, _ = testOpts.TraceCheck(r, v) })
	if traced != check {
		t.Errorf("TraceCheck allocates %v times, Check %v", traced, check)
	}
}
