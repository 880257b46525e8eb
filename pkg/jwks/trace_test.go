package jwks

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/fastsafe/fastsafe/pkg/tracing/tracingtest"
)

// TestRemoteFetchInATrace: a fetch that a request triggers inside a
// recorded trace runs in a span, and its request carries the trace on to
// the authorization server; a background refresh carries none.
func TestRemoteFetchInATrace(t *testing.T) {
	k := testKeys()
	var mu sync.Mutex
	var parents []string
	srv := newJWKSServer(t, nil)
	srv.Serve(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		parents = append(parents, r.Header.Get("traceparent"))
		mu.Unlock()
		okJSON(setJSON(t, mustJWK(t, "k1", "EdDSA", k.ed.Public())), "")(w, r)
	})
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: newFakeClock().Now})
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := tracingtest.NewRecorder()
	ctx, root := rec.Tracer("test").Start(t.Context(), "GET /search")
	if _, err := r.Key(ctx, "k2"); err == nil {
		t.Fatal("an unknown kid was found")
	}
	root.End()

	fetches, gets := rec.Named("jwks fetch"), rec.Named("GET")
	if len(fetches) != 1 || len(gets) != 1 {
		t.Fatalf("%d fetch spans and %d GET spans, want one each", len(fetches), len(gets))
	}
	if fetches[0].Parent.SpanID() != root.SpanContext().SpanID() || gets[0].Parent.SpanID() != fetches[0].SpanContext.SpanID() {
		t.Error("spans are not request > jwks fetch > GET")
	}
	mu.Lock()
	defer mu.Unlock()
	want := "00-" + gets[0].SpanContext.TraceID().String() + "-" + gets[0].SpanContext.SpanID().String() + "-01"
	if len(parents) != 2 || parents[0] != "" || parents[1] != want {
		t.Errorf("traceparents received %q, want none for the background refresh, then %q", parents, want)
	}
}
