package otlptest

import (
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// TracesPath is where exporters post spans.
const TracesPath = "/v1/traces"

// Span is a span as received.
type Span struct {
	Service    string // service.name of the resource that sent it
	Scope      string // instrumentation scope
	Name       string
	Kind       tracepb.Span_SpanKind
	TraceID    string // hexadecimal
	SpanID     string
	ParentID   string // "" for a root span
	Attributes map[string]string
	Status     tracepb.Status_StatusCode
	Message    string // of the status
	Events     []string
}

// Receiver is an OTLP/HTTP trace receiver. Its URL is the value of
// OTEL_EXPORTER_OTLP_ENDPOINT that sends spans to it.
type Receiver struct {
	*httptest.Server

	mu       sync.Mutex
	spans    []Span
	requests int
	arrived  chan struct{} // closed and replaced whenever spans arrive
}

// NewReceiver starts a receiver on loopback, closed when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	r := &Receiver{arrived: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != TracesPath {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(io.LimitReader(body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var msg collectorpb.ExportTraceServiceRequest
	json := req.Header.Get("Content-Type") == "application/json"
	if json {
		err = protojson.Unmarshal(b, &msg)
	} else {
		err = proto.Unmarshal(b, &msg)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.add(&msg)
	var answer []byte
	if json {
		answer, err = protojson.Marshal(&collectorpb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/json")
	} else {
		answer, err = proto.Marshal(&collectorpb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(answer)
}

func (r *Receiver) add(msg *collectorpb.ExportTraceServiceRequest) {
	var got []Span
	for _, rs := range msg.GetResourceSpans() {
		service := attrs(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				span := Span{
					Service:    service,
					Scope:      ss.GetScope().GetName(),
					Name:       s.GetName(),
					Kind:       s.GetKind(),
					TraceID:    hex.EncodeToString(s.GetTraceId()),
					SpanID:     hex.EncodeToString(s.GetSpanId()),
					ParentID:   hex.EncodeToString(s.GetParentSpanId()),
					Attributes: attrs(s.GetAttributes()),
					Status:     s.GetStatus().GetCode(),
					Message:    s.GetStatus().GetMessage(),
				}
				for _, e := range s.GetEvents() {
					span.Events = append(span.Events, e.GetName())
				}
				got = append(got, span)
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.spans = append(r.spans, got...)
	close(r.arrived)
	r.arrived = make(chan struct{})
}

// attrs flattens attributes to strings, as %v formats their values.
func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		var s string
		switch x := v.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			s = x.StringValue
		case *commonpb.AnyValue_IntValue:
			s = fmt.Sprint(x.IntValue)
		case *commonpb.AnyValue_BoolValue:
			s = fmt.Sprint(x.BoolValue)
		case *commonpb.AnyValue_DoubleValue:
			s = fmt.Sprint(x.DoubleValue)
		default:
			s = v.String()
		}
		m[kv.GetKey()] = s
	}
	return m
}

// Spans returns the spans received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Requests is the number of export requests received.
func (r *Receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// Wait returns the spans received once done says they are enough, or
// fails the test after timeout with what came.
func (r *Receiver) Wait(t testing.TB, timeout time.Duration, done func([]Span) bool) []Span {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		spans, arrived := append([]Span(nil), r.spans...), r.arrived
		r.mu.Unlock()
		if done(spans) {
			return spans
		}
		select {
		case <-arrived:
		case <-deadline.C:
			t.Fatalf("the receiver did not get the spans expected within %s; it got:\n%s", timeout, Format(spans))
			return nil
		}
	}
}

// Format lists spans one a line, every field of them, for failure
// messages and for searching.
func Format(spans []Span) string {
	var b []byte
	for _, s := range spans {
		b = fmt.Appendf(b, "  %s %q kind=%v trace=%s span=%s parent=%s status=%v %q %v events=%q\n",
			s.Service, s.Name, s.Kind, s.TraceID, s.SpanID, s.ParentID, s.Status, s.Message, s.Attributes, s.Events)
	}
	return string(b)
}
