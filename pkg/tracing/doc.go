// Package tracing lets a service take part in distributed traces with
// the OpenTelemetry API alone (go.opentelemetry.io/otel/trace and
// go.opentelemetry.io/otel/propagation): it needs no SDK and no exporter,
// and costs nothing when no trace is being recorded.
//
// Trace context travels between services in the W3C Trace Context headers
// traceparent and tracestate. On the server side, Middleware (net/http) or
// StartServer and EndServer (any other router) start a server span for
// each request, continuing the trace of its traceparent header; Continue
// only continues that trace, without a span of its own, for middleware
// that is not given a tracer. On the client side, Transport starts a client
// span for each outgoing request and sends its trace context on.
//
// Start starts a span of the work a request does (a database query, a key
// fetch, a password hash) only inside a span that is being recorded, with
// the tracer provider of that span: code that calls it needs no tracer of
// its own, and does no work and no allocation when the service records no
// traces. Set a span's attributes only when span.IsRecording(), so that
// they are not built for nothing.
//
// Spans carry no query strings, no credentials and no headers but the
// trace context: only methods, routes, paths, hosts and status codes.
//
// The packages of this module use it: bearer and ginbearer continue the
// trace of a request and verify its token in a span, clientcred's clients
// carry the trace context of each request's context, jwks fetches keys in
// a span. Package tracingtest records spans in memory for tests.
package tracing
