package ginbearer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/pkg/tracing/tracingtest"
)

// TestAuthenticateTraces: behind Authenticate, a handler runs in the trace
// of the request's traceparent; inside a recorded trace the token is
// verified in a span under the request's.
func TestAuthenticateTraces(t *testing.T) {
	var seen trace.SpanContext
	handler := func(c *gin.Context) { seen = trace.SpanContextFromContext(c.Request.Context()) }
	e := gin.New()
	e.GET("/search", Authenticate(verifier, opts), handler)

	r := httptest.NewRequest("GET", "/search", nil)
	r.Header.Set("Authorization", "Bearer search-token")
	r.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	if w.Code != http.StatusOK || seen.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("status %d, handler in %v; want 200 in the incoming trace", w.Code, seen)
	}

	rec := tracingtest.NewRecorder()
	ctx, root := rec.Tracer("test").Start(context.Background(), "GET /search")
	r = httptest.NewRequestWithContext(ctx, "GET", "/search", nil)
	r.Header.Set("Authorization", "Bearer search-token")
	e.ServeHTTP(httptest.NewRecorder(), r)
	root.End()
	spans := rec.Named("verify token")
	if len(spans) != 1 || spans[0].Parent.SpanID() != root.SpanContext().SpanID() {
		t.Fatalf("verify spans %+v, want one under the request's", spans)
	}
	if !seen.Equal(root.SpanContext()) {
		t.Errorf("the handler runs in %v, want the request's span", seen)
	}
}
