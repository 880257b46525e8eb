package tracing

import (
	"context"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Scope is the instrumentation scope of the spans this module starts.
const Scope = "github.com/fastsafe/fastsafe/pkg/tracing"

// Start starts a span named name as a child of the span of ctx, with the
// tracer provider of that span, if that span is recording. Otherwise it
// starts nothing and returns ctx and the span of ctx, which is not
// recording: ending it, or setting its attributes, does nothing.
//
// Build the span's attributes only if span.IsRecording(): opts are built
// by the caller before Start can decline.
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, parent
	}
	return parent.TracerProvider().Tracer(Scope).Start(ctx, name, opts...)
}

// End ends span, marked as failed with err's message if err is not nil.
// Error messages of this module never hold a credential; callers must
// make sure the same of theirs.
func End(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
