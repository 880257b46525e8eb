package tracingtest

import (
	"context"
	"crypto/rand"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// Recorder is a trace.TracerProvider that records the spans of its
// tracers. It is safe for concurrent use.
type Recorder struct {
	embedded.TracerProvider

	mu    sync.Mutex
	ended []Span
}

var _ trace.TracerProvider = (*Recorder)(nil)

// NewRecorder returns a Recorder with no spans.
func NewRecorder() *Recorder { return &Recorder{} }

// Tracer implements trace.TracerProvider.
func (r *Recorder) Tracer(name string, _ ...trace.TracerOption) trace.Tracer {
	return &tracer{rec: r, scope: name}
}

// Ended returns the spans ended so far, in the order they ended.
func (r *Recorder) Ended() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Span, len(r.ended))
	for i, s := range r.ended {
		out[i] = s.clone()
	}
	return out
}

// Named returns the ended spans named name.
func (r *Recorder) Named(name string) []Span {
	var out []Span
	for _, s := range r.Ended() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// Span is a span as recorded.
type Span struct {
	Name  string
	Scope string // the name of the tracer that started it
	Kind  trace.SpanKind
	// SpanContext is the span's own; Parent the one it was started under
	// (not valid for a root span).
	SpanContext trace.SpanContext
	Parent      trace.SpanContext
	Attributes  []attribute.KeyValue
	Status      codes.Code
	Description string   // of the status
	Events      []string // names of the events added
}

// Attr returns the value of the span's last attribute named key.
func (s Span) Attr(key string) (attribute.Value, bool) {
	for i := len(s.Attributes) - 1; i >= 0; i-- {
		if string(s.Attributes[i].Key) == key {
			return s.Attributes[i].Value, true
		}
	}
	return attribute.Value{}, false
}

func (s Span) clone() Span {
	s.Attributes = append([]attribute.KeyValue(nil), s.Attributes...)
	s.Events = append([]string(nil), s.Events...)
	return s
}

type tracer struct {
	embedded.Tracer
	rec   *Recorder
	scope string
}

// Start implements trace.Tracer: the span is a child of the span of ctx,
// if it has a valid one and opts do not ask for a new root.
func (t *tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	parent := trace.SpanContextFromContext(ctx)
	if cfg.NewRoot() {
		parent = trace.SpanContext{}
	}
	scc := trace.SpanContextConfig{TraceFlags: trace.FlagsSampled}
	if parent.IsValid() {
		scc.TraceID = parent.TraceID()
		scc.TraceState = parent.TraceState()
	} else {
		_, _ = rand.Read(scc.TraceID[:])
	}
	_, _ = rand.Read(scc.SpanID[:])
	s := &span{tracer: t, data: Span{
		Name:        name,
		Scope:       t.scope,
		Kind:        cfg.SpanKind(),
		SpanContext: trace.NewSpanContext(scc),
		Parent:      parent,
		Attributes:  append([]attribute.KeyValue(nil), cfg.Attributes()...),
	}}
	return trace.ContextWithSpan(ctx, s), s
}

type span struct {
	embedded.Span
	tracer *tracer

	mu    sync.Mutex
	ended bool
	data  Span
}

func (s *span) record(f func(*Span)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		f(&s.data)
	}
}

func (s *span) End(...trace.SpanEndOption) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	d := s.data.clone()
	s.mu.Unlock()
	rec := s.tracer.rec
	rec.mu.Lock()
	rec.ended = append(rec.ended, d)
	rec.mu.Unlock()
}

func (s *span) AddEvent(name string, _ ...trace.EventOption) {
	s.record(func(d *Span) { d.Events = append(d.Events, name) })
}

func (s *span) AddLink(trace.Link) {}

func (s *span) IsRecording() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.ended
}

func (s *span) RecordError(err error, _ ...trace.EventOption) {
	if err != nil {
		s.AddEvent("exception")
	}
}

func (s *span) SpanContext() trace.SpanContext { return s.data.SpanContext }

func (s *span) SetStatus(code codes.Code, description string) {
	s.record(func(d *Span) {
		if code == codes.Error {
			d.Description = description
		}
		d.Status = code
	})
}

func (s *span) SetName(name string) { s.record(func(d *Span) { d.Name = name }) }

func (s *span) SetAttributes(kv ...attribute.KeyValue) {
	s.record(func(d *Span) { d.Attributes = append(d.Attributes, kv...) })
}

func (s *span) TracerProvider() trace.TracerProvider { return s.tracer.rec }
