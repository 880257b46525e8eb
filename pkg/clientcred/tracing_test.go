package clientcred_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/pkg/clientcred"
	"github.com/fastsafe/fastsafe/pkg/tracing"
	"github.com/fastsafe/fastsafe/pkg/tracing/tracingtest"
)

// TestClientCarriesTraceContext: the token request carries the trace
// context given to Client, each call that of its own context, each in a
// client span; a call in no trace carries none, and a call under a remote
// parent this service does not record passes that parent on.
func TestClientCarriesTraceContext(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	var mu sync.Mutex
	var tokenParents, apiParents []string
	te.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokenParents = append(tokenParents, r.Header.Get("traceparent"))
		mu.Unlock()
		te.serve(w, r)
	})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		apiParents = append(apiParents, r.Header.Get("traceparent"))
		mu.Unlock()
	}))
	t.Cleanup(api.Close)

	rec := tracingtest.NewRecorder()
	srcCtx, src := rec.Tracer("test").Start(context.Background(), "service start")
	client := clientcred.Client(srcCtx, te.config())
	callCtx, call := rec.Tracer("test").Start(context.Background(), "serving a request")
	in := httptest.NewRequest("GET", "/", nil)
	const remote = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	in.Header.Set("traceparent", remote)
	for _, ctx := range []context.Context{callCtx, context.Background(), tracing.Continue(in).Context()} {
		get(t, client, ctx, api.URL)
	}
	call.End()
	src.End()

	spans := rec.Named("GET")
	posts := rec.Named("POST")
	if len(spans) != 1 || len(posts) != 1 {
		t.Fatalf("client spans: %d GET, %d POST; want one each", len(spans), len(posts))
	}
	mu.Lock()
	defer mu.Unlock()
	check := func(what, got string, s tracingtest.Span, parent trace.Span) {
		t.Helper()
		if s.Parent.SpanID() != parent.SpanContext().SpanID() || s.Kind != trace.SpanKindClient {
			t.Errorf("%s: span under %v, want a client span under %v", what, s.Parent, parent.SpanContext())
		}
		want := "00-" + s.SpanContext.TraceID().String() + "-" + s.SpanContext.SpanID().String() + "-01"
		if got != want {
			t.Errorf("%s: traceparent %q, want its client span's %q", what, got, want)
		}
	}
	if len(tokenParents) != 1 || len(apiParents) != 3 {
		t.Fatalf("%d token requests and %d calls, want 1 and 3", len(tokenParents), len(apiParents))
	}
	check("token request", tokenParents[0], posts[0], src)
	check("call in a trace", apiParents[0], spans[0], call)
	if apiParents[1] != "" {
		t.Errorf("a call in no trace sent traceparent %q", apiParents[1])
	}
	if apiParents[2] != remote {
		t.Errorf("a call under a remote parent sent %q, want it passed on: %q", apiParents[2], remote)
	}
}
