package tracing

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// propagator reads and writes the W3C Trace Context headers.
var propagator propagation.TraceContext

// traceparentKey is the traceparent header in the canonical form of
// http.Header's keys, looked up directly: Header.Get would canonicalize
// "traceparent" anew, and allocate, on every request.
const traceparentKey = "Traceparent"

// Attribute keys of the HTTP spans (OpenTelemetry semantic conventions).
const (
	attrMethod     = attribute.Key("http.request.method")
	attrRoute      = attribute.Key("http.route")
	attrStatus     = attribute.Key("http.response.status_code")
	attrPath       = attribute.Key("url.path")
	attrScheme     = attribute.Key("url.scheme")
	attrURL        = attribute.Key("url.full")
	attrServerAddr = attribute.Key("server.address")
)

// Continue returns r with a context that continues the trace of r's
// traceparent (and tracestate) header, as a remote parent; or r itself
// if r's context is in a trace already or r carries no valid traceparent,
// or more than one (which proxies could read differently).
// Calls made with that context, through Transport, stay in the trace.
func Continue(r *http.Request) *http.Request {
	if len(r.Header[traceparentKey]) != 1 || trace.SpanContextFromContext(r.Context()).IsValid() {
		return r
	}
	ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return r
	}
	return r.WithContext(ctx)
}

// Inject sets the traceparent (and tracestate) header of h to the trace
// context of ctx, if ctx is in a trace.
func Inject(ctx context.Context, h http.Header) {
	propagator.Inject(ctx, propagation.HeaderCarrier(h))
}

// StartServer starts the server span of r with tracer, named for its
// method and route (the route pattern r matched, "" if none: never the
// path, which would make every name unique), continuing the trace of r's
// traceparent header. It returns r with the span in its context. End the
// span with EndServer.
func StartServer(tracer trace.Tracer, r *http.Request, route string) (*http.Request, trace.Span) {
	method := knownMethod(r.Method)
	name := method
	if route != "" {
		name += " " + route
	}
	r = Continue(r)
	ctx, span := tracer.Start(r.Context(), name, trace.WithSpanKind(trace.SpanKindServer))
	if span.IsRecording() {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		span.SetAttributes(attrMethod.String(method), attrPath.String(r.URL.Path), attrScheme.String(scheme))
		if route != "" {
			span.SetAttributes(attrRoute.String(route))
		}
	}
	return r.WithContext(ctx), span
}

// EndServer ends a span of StartServer with the response status: a 5xx
// marks it failed (a 4xx is the client's error, not the server's).
func EndServer(span trace.Span, status int) {
	if span.IsRecording() {
		span.SetAttributes(attrStatus.Int(status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
	span.End()
}

// Middleware returns net/http middleware that runs each request in a
// server span (StartServer, EndServer) of a tracer of tp. route names the
// route pattern a request matches, "" for none; nil means none for all.
// With a nil tp it returns handlers unchanged: nothing is traced.
func Middleware(tp trace.TracerProvider, route func(*http.Request) string) func(http.Handler) http.Handler {
	if tp == nil {
		return func(next http.Handler) http.Handler { return next }
	}
	tracer := tp.Tracer(Scope)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rt := ""
			if route != nil {
				rt = route(r)
			}
			r, span := StartServer(tracer, r, rt)
			sw := &statusWriter{ResponseWriter: w}
			defer func() { EndServer(span, sw.status()) }()
			next.ServeHTTP(sw, r)
		})
	}
}

// statusWriter remembers the status of the response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// status is the status written, 200 if none was: what net/http sends
// for a handler that writes nothing. Recover panics inside Middleware,
// so that it sees the 500 written for them.
func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Transport is an http.RoundTripper that sends the trace context of each
// request's context on, in its traceparent header, and, if the request's
// context holds a recording span, runs the request in a client span of
// its own (ended when the response headers arrive). A request whose
// context is in no trace goes to Base untouched. Base is
// http.DefaultTransport when nil.
type Transport struct {
	Base http.RoundTripper
}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip implements http.RoundTripper. It does not modify req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	ctx := req.Context()
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return base.RoundTrip(req)
	}
	var span trace.Span
	if parent.IsRecording() {
		method := knownMethod(req.Method)
		ctx, span = parent.TracerProvider().Tracer(Scope).Start(ctx, method, trace.WithSpanKind(trace.SpanKindClient))
		span.SetAttributes(attrMethod.String(method), attrURL.String(redactedURL(req)), attrServerAddr.String(req.URL.Hostname()))
	}
	req = req.Clone(ctx)
	Inject(ctx, req.Header)
	resp, err := base.RoundTrip(req)
	if span != nil {
		switch {
		case err != nil:
			span.SetStatus(codes.Error, err.Error())
		case resp.StatusCode >= 400:
			span.SetAttributes(attrStatus.Int(resp.StatusCode))
			span.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
		default:
			span.SetAttributes(attrStatus.Int(resp.StatusCode))
		}
		span.End()
	}
	return resp, err
}

// redactedURL is req's URL without its query, fragment and user
// information, which may carry credentials.
func redactedURL(req *http.Request) string {
	u := *req.URL
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// knownMethod is method if it is a standard HTTP method, and "_OTHER"
// otherwise, as the semantic conventions ask: a client must not be able
// to name spans at will.
func knownMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "_OTHER"
}

// WrapTransport returns rt wrapped in a Transport, or rt itself if it is
// one already, so that wrapping twice starts one client span per request.
func WrapTransport(rt http.RoundTripper) http.RoundTripper {
	if _, ok := rt.(*Transport); ok {
		return rt
	}
	return &Transport{Base: rt}
}
