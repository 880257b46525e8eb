package tracing_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/pkg/tracing"
	"github.com/fastsafe/fastsafe/pkg/tracing/tracingtest"
)

// A traceparent of the W3C specification's examples.
const (
	incomingTrace  = "0af7651916cd43dd8448eb211c80319c"
	incomingParent = "b7ad6b7169203331"
	traceparent    = "00-" + incomingTrace + "-" + incomingParent + "-01"
)

func TestStartOutsideTraceDoesNothing(t *testing.T) {
	ctx := context.Background()
	got, span := tracing.Start(ctx, "work")
	if got != ctx || span.IsRecording() {
		t.Fatalf("Start outside a trace returned a new context or a recording span")
	}
	tracing.End(span, errors.New("boom")) // must not panic
	allocs := testing.AllocsPerRun(100, func() {
		_, span := tracing.Start(ctx, "work")
		tracing.End(span, nil)
	})
	if allocs != 0 {
		t.Errorf("Start and End outside a trace allocate %v times", allocs)
	}
}

func TestStartUnderARemoteParentDoesNothing(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("traceparent", traceparent)
	ctx := tracing.Continue(r).Context()
	got, span := tracing.Start(ctx, "work")
	if got != ctx || span.IsRecording() {
		t.Fatal("Start under a remote parent this service does not record started a span")
	}
}

func TestStartChild(t *testing.T) {
	rec := tracingtest.NewRecorder()
	ctx, root := rec.Tracer("test").Start(context.Background(), "root")
	cctx, child := tracing.Start(ctx, "work", trace.WithSpanKind(trace.SpanKindInternal))
	if !child.IsRecording() || trace.SpanFromContext(cctx) != child {
		t.Fatal("Start under a recording span started no span")
	}
	tracing.End(child, errors.New("store: gone"))
	root.End()
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans ended, want 2", len(spans))
	}
	w := spans[0]
	if w.Name != "work" || w.Scope != tracing.Scope {
		t.Errorf("child = %q of scope %q", w.Name, w.Scope)
	}
	if w.Parent.SpanID() != root.SpanContext().SpanID() || w.SpanContext.TraceID() != root.SpanContext().TraceID() {
		t.Errorf("child's parent %v, want %v", w.Parent, root.SpanContext())
	}
	if w.Status != codes.Error || w.Description != "store: gone" {
		t.Errorf("child status %v %q, want the error", w.Status, w.Description)
	}
	if spans[1].Status != codes.Unset {
		t.Errorf("root status %v, want unset", spans[1].Status)
	}
}

func TestContinue(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    bool // the request continues the incoming trace
	}{
		{"valid", []string{traceparent}, true},
		{"not sampled", []string{"00-" + incomingTrace + "-" + incomingParent + "-00"}, true},
		{"absent", nil, false},
		{"empty", []string{""}, false},
		{"upper case hex", []string{strings.ToUpper(traceparent)}, false},
		{"zero trace id", []string{"00-" + strings.Repeat("0", 32) + "-" + incomingParent + "-01"}, false},
		{"zero parent id", []string{"00-" + incomingTrace + "-" + strings.Repeat("0", 16) + "-01"}, false},
		{"version ff", []string{"ff-" + incomingTrace + "-" + incomingParent + "-01"}, false},
		{"extra field in version 00", []string{traceparent + "-xyz"}, false},
		{"short", []string{"00-abc-def-01"}, false},
		{"log injection", []string{traceparent + "\nlevel=ERROR msg=forged"}, false},
		{"huge", []string{strings.Repeat("a", 8192)}, false},
		{"repeated", []string{traceparent, traceparent}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for _, h := range tt.headers {
				r.Header.Add("traceparent", h)
			}
			got := tracing.Continue(r)
			sc := trace.SpanContextFromContext(got.Context())
			if !tt.want {
				if got != r || sc.IsValid() {
					t.Fatalf("Continue took %q: span context %v", tt.headers, sc)
				}
				return
			}
			if sc.TraceID().String() != incomingTrace || sc.SpanID().String() != incomingParent || !sc.IsRemote() {
				t.Errorf("span context %v, want the remote parent %s/%s", sc, incomingTrace, incomingParent)
			}
		})
	}
}

func TestContinueKeepsTheTraceOfTheContext(t *testing.T) {
	rec := tracingtest.NewRecorder()
	ctx, root := rec.Tracer("test").Start(context.Background(), "root")
	r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
	r.Header.Set("traceparent", traceparent)
	if got := tracing.Continue(r); got != r {
		t.Fatal("Continue replaced the trace the request's context is in")
	}
	root.End()
}

func TestContinueWithoutHeaderAllocatesNothing(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer x")
	if allocs := testing.AllocsPerRun(100, func() { tracing.Continue(r) }); allocs != 0 {
		t.Errorf("Continue without a traceparent allocates %v times", allocs)
	}
}

func TestMiddleware(t *testing.T) {
	tests := []struct {
		name, method, target string
		traceparent          string
		route                string
		status               int
		wantName             string
		wantError            bool
	}{
		{"root span", "GET", "/search?query=secret", "", "/search", 200, "GET /search", false},
		{"continued", "POST", "/token", traceparent, "/token", 400, "POST /token", false},
		{"server error", "GET", "/readyz", "", "/readyz", 503, "GET /readyz", true},
		{"no route", "GET", "/nowhere/123", "", "", 404, "GET", false},
		{"unknown method", "BREW", "/", "", "", 405, "_OTHER", false},
		{"nothing written", "GET", "/healthz", "", "/healthz", 0, "GET /healthz", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tracingtest.NewRecorder()
			var inner trace.SpanContext
			h := tracing.Middleware(rec, func(*http.Request) string { return tt.route })(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inner = trace.SpanContextFromContext(r.Context())
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
			}))
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.traceparent != "" {
				r.Header.Set("traceparent", tt.traceparent)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			if s.Name != tt.wantName || s.Kind != trace.SpanKindServer {
				t.Errorf("span %q of kind %v, want %q, server", s.Name, s.Kind, tt.wantName)
			}
			if !inner.Equal(s.SpanContext) {
				t.Errorf("the handler's context holds %v, not the server span %v", inner, s.SpanContext)
			}
			if tt.traceparent != "" {
				if s.SpanContext.TraceID().String() != incomingTrace || s.Parent.SpanID().String() != incomingParent {
					t.Errorf("span %v under %v, want a child of the incoming %s", s.SpanContext, s.Parent, tt.traceparent)
				}
			} else if s.Parent.IsValid() {
				t.Errorf("span has parent %v, want a root", s.Parent)
			}
			wantStatus := tt.status
			if wantStatus == 0 {
				wantStatus = 200
			}
			if v, _ := s.Attr("http.response.status_code"); v.AsInt64() != int64(wantStatus) {
				t.Errorf("status attribute %v, want %d", v.AsInt64(), wantStatus)
			}
			if (s.Status == codes.Error) != tt.wantError {
				t.Errorf("span status %v, want error %v", s.Status, tt.wantError)
			}
			if v, _ := s.Attr("url.path"); v.AsString() != r.URL.Path {
				t.Errorf("url.path %q, want %q", v.AsString(), r.URL.Path)
			}
			for _, a := range s.Attributes {
				if strings.Contains(a.Value.String(), "secret") {
					t.Errorf("attribute %s = %q carries the query string", a.Key, a.Value.String())
				}
			}
		})
	}
}

func TestMiddlewareWithoutProvider(t *testing.T) {
	h := http.NotFoundHandler()
	if got := tracing.Middleware(nil, nil)(h); fmt.Sprint(got) != fmt.Sprint(h) {
		t.Error("Middleware without a tracer provider wrapped the handler")
	}
}

// roundTripper records the requests it is given.
type roundTripper struct {
	got    []*http.Request
	status int
	err    error
}

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.got = append(rt.got, req)
	if rt.err != nil {
		return nil, rt.err
	}
	return &http.Response{StatusCode: rt.status, Body: http.NoBody, Request: req}, nil
}

func TestTransportOutsideTrace(t *testing.T) {
	base := &roundTripper{status: 200}
	c := &http.Client{Transport: &tracing.Transport{Base: base}}
	req, _ := http.NewRequest("GET", "http://svc.test/x", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if base.got[0] != req || req.Header.Get("traceparent") != "" {
		t.Error("a request in no trace was changed")
	}
}

func TestTransportPassesARemoteParentOn(t *testing.T) {
	in := httptest.NewRequest("GET", "/", nil)
	in.Header.Set("traceparent", traceparent)
	ctx := tracing.Continue(in).Context()
	base := &roundTripper{status: 200}
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://svc.test/x", nil)
	if _, err := (&tracing.Transport{Base: base}).RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if got := base.got[0].Header.Get("traceparent"); got != traceparent {
		t.Errorf("traceparent sent %q, want the incoming %q passed on", got, traceparent)
	}
	if req.Header.Get("traceparent") != "" {
		t.Error("the caller's request was modified")
	}
}

func TestTransportClientSpan(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		err       error
		wantError bool
	}{
		{"ok", 200, nil, false},
		{"refused", 401, nil, true},
		{"network error", 0, errors.New("connection refused"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tracingtest.NewRecorder()
			ctx, root := rec.Tracer("test").Start(context.Background(), "root")
			base := &roundTripper{status: tt.status, err: tt.err}
			req, _ := http.NewRequestWithContext(ctx, "POST", "http://user:pw@auth.test:9096/token?client_secret=s#f", nil)
			resp, err := (&tracing.Transport{Base: base}).RoundTrip(req)
			if err == nil {
				resp.Body.Close()
			}
			root.End()
			spans := rec.Named("POST")
			if len(spans) != 1 {
				t.Fatalf("client spans: %d, want 1", len(spans))
			}
			s := spans[0]
			if s.Kind != trace.SpanKindClient || s.Parent.SpanID() != root.SpanContext().SpanID() {
				t.Errorf("span of kind %v under %v, want a client span under the root", s.Kind, s.Parent)
			}
			sent := base.got[0].Header.Get("traceparent")
			want := "00-" + s.SpanContext.TraceID().String() + "-" + s.SpanContext.SpanID().String() + "-01"
			if sent != want {
				t.Errorf("traceparent sent %q, want the client span's %q", sent, want)
			}
			if v, _ := s.Attr("url.full"); v.AsString() != "http://auth.test:9096/token" {
				t.Errorf("url.full = %q, want it without credentials, query and fragment", v.AsString())
			}
			if (s.Status == codes.Error) != tt.wantError {
				t.Errorf("span status %v, want error %v", s.Status, tt.wantError)
			}
		})
	}
}
