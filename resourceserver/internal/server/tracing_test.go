package server

import (
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestTraces: with a tracer provider, each request runs in a server span
// named for its route that continues the caller's trace; the token is
// verified in a span under it; the request line names the trace; no span
// holds the token or the query. Without one, the same requests start no
// span (see TestRoutes, which passes none).
func TestTraces(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	f := newFixture(t, true, func(o *Options) { o.TracerProvider = tp })
	token := f.auth.Sign(f.auth.Claims(audience, "search", now))
	const (
		callerTrace = "0af7651916cd43dd8448eb211c80319c"
		callerSpan  = "b7ad6b7169203331"
	)
	tests := []struct {
		target, token, wantName, wantVerify string
		status                              int
	}{
		{"/search?query=secret-query", token, "GET /search", "ok", http.StatusOK},
		{"/search?query=apple", "forged.token.value", "GET /search", "invalid_token", http.StatusUnauthorized},
		{"/nowhere/42", "", "GET", "", http.StatusNotFound},
		{"/healthz", "", "GET /healthz", "", http.StatusOK},
	}
	for _, tt := range tests {
		h := http.Header{"Traceparent": {"00-" + callerTrace + "-" + callerSpan + "-01"}}
		if tt.token != "" {
			h.Set("Authorization", "Bearer "+tt.token)
		}
		if w := f.do(t, "GET", tt.target, h); w.Code != tt.status {
			t.Fatalf("GET %s: status %d, want %d", tt.target, w.Code, tt.status)
		}
	}
	spans := rec.Ended()
	var servers []sdktrace.ReadOnlySpan
	verifies := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		if s.SpanContext().TraceID().String() != callerTrace {
			t.Errorf("span %q in trace %s, want the caller's", s.Name(), s.SpanContext().TraceID())
		}
		switch s.Name() {
		case "verify token":
			verifies[s.Parent().SpanID()] = s
		default:
			servers = append(servers, s)
		}
		for _, a := range s.Attributes() {
			if v := a.Value.String(); strings.Contains(v, token) || strings.Contains(v, "secret-query") {
				t.Errorf("span %q: attribute %s = %q", s.Name(), a.Key, v)
			}
		}
	}
	if len(servers) != len(tests) {
		t.Fatalf("%d server spans, want %d", len(servers), len(tests))
	}
	for i, tt := range tests {
		s := servers[i]
		if s.Name() != tt.wantName || s.SpanKind() != trace.SpanKindServer || s.Parent().SpanID().String() != callerSpan {
			t.Errorf("GET %s: span %q (%v) under %v, want %q, server, under the caller", tt.target, s.Name(), s.SpanKind(), s.Parent(), tt.wantName)
		}
		v, ok := verifies[s.SpanContext().SpanID()]
		switch {
		case tt.wantVerify == "" && ok:
			t.Errorf("GET %s: a token was verified", tt.target)
		case tt.wantVerify == "ok" && (!ok || v.Status().Code != 0):
			t.Errorf("GET %s: no successful verification span under the request's", tt.target)
		case tt.wantVerify == "invalid_token" && (!ok || !hasAttr(v, "oauth.error", "invalid_token")):
			t.Errorf("GET %s: no failed verification span under the request's", tt.target)
		}
	}
	records, err := f.logs.Records()
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, r := range records {
		if r["msg"] == "request" && r["path"] == "/search" {
			lines++
			if r["trace_id"] != callerTrace || r["span_id"] == nil {
				t.Errorf("request line %v lacks the trace", r)
			}
		}
	}
	if lines != 2 {
		t.Errorf("%d request lines of /search, want 2", lines)
	}
}

func hasAttr(s sdktrace.ReadOnlySpan, key, value string) bool {
	for _, a := range s.Attributes() {
		if string(a.Key) == key && a.Value.String() == value {
			return true
		}
	}
	return false
}
