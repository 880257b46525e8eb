package password_test

import (
	"context"
	"slices"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/pkg/tracing/tracingtest"
)

// TestSpans: inside a recorded trace, hashing and verifying run in spans
// with the wait for a slot marked, and a known and an unknown user leave
// spans that differ in nothing but their ids.
func TestSpans(t *testing.T) {
	h, err := password.NewHasher(4, 1)
	if err != nil {
		t.Fatal(err)
	}
	rec := tracingtest.NewRecorder()
	ctx, root := rec.Tracer("test").Start(context.Background(), "request")
	hash, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := h.Verify(ctx, hash, "correct horse"); !ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	if ok, _, err := h.Verify(ctx, nil, "correct horse"); ok || err != nil {
		t.Fatalf("Verify of an unknown user = %v, %v", ok, err)
	}
	root.End()
	// Outside a trace: nothing.
	if _, err := h.Hash(context.Background(), "correct horse"); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	if len(spans) != 4 {
		t.Fatalf("%d spans, want hash, two verifies and the request", len(spans))
	}
	for i, want := range []string{"bcrypt hash", "bcrypt verify", "bcrypt verify"} {
		s := spans[i]
		if s.Name != want || s.Parent.SpanID() != root.SpanContext().SpanID() {
			t.Errorf("span %d: %q under %v, want %q under the request", i, s.Name, s.Parent, want)
		}
		if !slices.Equal(s.Events, []string{"bcrypt slot acquired"}) {
			t.Errorf("span %q events %q, want the slot acquired", s.Name, s.Events)
		}
		if v, ok := s.Attr("bcrypt.cost"); !ok || v.AsInt64() != 4 {
			t.Errorf("span %q: bcrypt.cost %v, want 4", s.Name, v.AsInt64())
		}
	}
	known, unknown := spans[1], spans[2]
	if known.Status != unknown.Status || !slices.Equal(known.Attributes, unknown.Attributes) || !slices.Equal(known.Events, unknown.Events) {
		t.Errorf("the spans of a known and an unknown user differ:\n%+v\n%+v", known, unknown)
	}
}
