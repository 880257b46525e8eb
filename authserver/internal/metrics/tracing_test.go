package metrics_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/authserver/internal/metrics"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
	"github.com/fastsafe/fastsafe/pkg/tracing/tracingtest"
)

func tracedMetrics(t *testing.T, tp trace.TracerProvider) *metrics.Metrics {
	t.Helper()
	m, err := metrics.New(prometheus.NewRegistry(), time.Now, metrics.Tracing(tp))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func openStore(t *testing.T, m *metrics.Metrics) store.Store {
	t.Helper()
	raw, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	return m.Store(raw)
}

func TestMiddlewareTraces(t *testing.T) {
	tests := []struct {
		name, method, path, traceparent string
		status                          int
		wantName                        string
		wantError                       bool
	}{
		{"route", "POST", "/token", "", 400, "POST /token", false},
		{"continued", "POST", "/token", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 200, "POST /token", false},
		{"other route", "GET", "/secret-path-abc", "", 404, "GET", false},
		{"server error", "POST", "/token", "", 500, "POST /token", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tracingtest.NewRecorder()
			m := tracedMetrics(t, rec)
			route := func(r *http.Request) string {
				if r.URL.Path == "/token" {
					return "/token"
				}
				return ""
			}
			var inHandler trace.SpanContext
			h := m.Middleware(route)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inHandler = trace.SpanContextFromContext(r.Context())
				w.WriteHeader(tt.status)
			}))
			r := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.traceparent != "" {
				r.Header.Set("traceparent", tt.traceparent)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			if s.Name != tt.wantName || s.Kind != trace.SpanKindServer || s.Scope != metrics.TracerScope {
				t.Errorf("span %q, kind %v, scope %q; want %q, server, %q", s.Name, s.Kind, s.Scope, tt.wantName, metrics.TracerScope)
			}
			if !inHandler.Equal(s.SpanContext) {
				t.Error("the handler does not run in the server span")
			}
			if tt.traceparent != "" && s.Parent.SpanID().String() != "b7ad6b7169203331" {
				t.Errorf("parent %v, want the incoming traceparent's", s.Parent)
			}
			if (s.Status == codes.Error) != tt.wantError {
				t.Errorf("status %v, want error %v", s.Status, tt.wantError)
			}
		})
	}
}

func TestStoreTracesCallsInARecordedTrace(t *testing.T) {
	rec := tracingtest.NewRecorder()
	st := openStore(t, tracedMetrics(t, rec))
	ctx, root := rec.Tracer("test").Start(context.Background(), "request")
	if _, err := st.GetUser(ctx, "nobody"); err == nil {
		t.Fatal("GetUser of an unknown user succeeded")
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	root.End()
	// Outside any trace: timed, not traced.
	if err := st.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
		if s.Name == "request" {
			continue
		}
		if s.Parent.SpanID() != root.SpanContext().SpanID() {
			t.Errorf("%s is not a child of the request's span", s.Name)
		}
		if s.Status == codes.Error {
			t.Errorf("%s failed: %s (a record not found is an answer)", s.Name, s.Description)
		}
	}
	if want := []string{"store GetUser", "store Ping", "request"}; !slices.Equal(names, want) {
		t.Errorf("spans %q, want %q", names, want)
	}
}

func TestStoreSpanOfAFailure(t *testing.T) {
	rec := tracingtest.NewRecorder()
	m := tracedMetrics(t, rec)
	raw, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	st := m.Store(raw)
	_ = raw.Close()
	ctx, root := rec.Tracer("test").Start(context.Background(), "request")
	if err := st.Ping(ctx); err == nil {
		t.Fatal("Ping of a closed store succeeded")
	}
	root.End()
	if s := rec.Named("store Ping"); len(s) != 1 || s[0].Status != codes.Error {
		t.Errorf("spans of the failed Ping: %+v, want one, failed", s)
	}
}

func TestNoTracingNoSpans(t *testing.T) {
	rec := tracingtest.NewRecorder()
	m, _ := newMetrics(t, time.Now) // without Tracing
	st := openStore(t, m)
	ctx, root := rec.Tracer("test").Start(context.Background(), "request")
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	h := m.Middleware(func(*http.Request) string { return "" })(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(ctx, "GET", "/", nil))
	root.End()
	if spans := rec.Ended(); len(spans) != 1 {
		t.Errorf("spans %+v, want the test's own only", spans)
	}
}
