package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/trace"
)

// Header is the HTTP header that carries the id.
const Header = "X-Request-ID"

// MaxLen is the longest incoming id accepted.
const MaxLen = 128

// LogKey is the attribute under which LogHandler logs the id.
const LogKey = "request_id"

// Attributes under which LogHandler logs the trace a record belongs to.
const (
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
)

type ctxKey struct{}

// NewContext returns a copy of ctx carrying id.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the id carried by ctx, if any.
func FromContext(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(ctxKey{}).(string)
	return id, ok && id != ""
}

// Valid reports whether id may be used as a request id: 1 to MaxLen
// characters among ASCII letters, digits and - _ . : / + = @.
func Valid(id string) bool {
	if id == "" || len(id) > MaxLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '/', c == '+', c == '=', c == '@':
		default:
			return false
		}
	}
	return true
}

// New returns a fresh random id: 32 hexadecimal digits (128 bits).
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// FromRequest returns r's X-Request-ID if there is exactly one and it is
// Valid, and a new id otherwise.
func FromRequest(r *http.Request) string {
	if vs := r.Header.Values(Header); len(vs) == 1 && Valid(vs[0]) {
		return vs[0]
	}
	return New()
}

// Middleware gives each request an id (FromRequest), sets it as the
// X-Request-ID of the response and of the request, and puts it in the
// request context for LogHandler and Transport.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := FromRequest(r)
		w.Header().Set(Header, id)
		r = r.WithContext(NewContext(r.Context(), id))
		r.Header.Set(Header, id)
		next.ServeHTTP(w, r)
	})
}

// Transport is an http.RoundTripper that sets the X-Request-ID of each
// outgoing request that has none to the id of the request's context, if
// it carries one, before handing it to Base (http.DefaultTransport when
// nil).
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
	if id, ok := FromContext(req.Context()); ok && req.Header.Get(Header) == "" {
		req = req.Clone(req.Context())
		req.Header.Set(Header, id)
	}
	return base.RoundTrip(req)
}

// LogHandler is a slog.Handler that adds the request id of the record's
// context, if any, to each record, as LogKey, and the trace the context
// is in (OpenTelemetry), if any: its id as TraceIDKey and, if the span is
// this service's (not only the remote parent a request came with), the
// span's id as SpanIDKey. Log with the *Context methods of slog.Logger
// (or Log and LogAttrs) to pass the context. Under a group (WithGroup)
// they are logged inside that group, like every attribute of the record.
type LogHandler struct {
	next slog.Handler
}

var _ slog.Handler = (*LogHandler)(nil)

// NewLogHandler wraps next. A handler that is already a *LogHandler is
// returned as it is, so that wrapping twice logs the id once.
func NewLogHandler(next slog.Handler) slog.Handler {
	if h, ok := next.(*LogHandler); ok {
		return h
	}
	return &LogHandler{next: next}
}

// WithLogger returns logger with its handler wrapped by NewLogHandler.
func WithLogger(logger *slog.Logger) *slog.Logger {
	if _, ok := logger.Handler().(*LogHandler); ok {
		return logger
	}
	return slog.New(NewLogHandler(logger.Handler()))
}

// Enabled implements slog.Handler.
func (h *LogHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		id, ok := FromContext(ctx)
		sc := trace.SpanContextFromContext(ctx)
		if ok || sc.IsValid() {
			r = r.Clone()
		}
		if ok {
			r.AddAttrs(slog.String(LogKey, id))
		}
		if sc.IsValid() {
			r.AddAttrs(slog.String(TraceIDKey, sc.TraceID().String()))
			if !sc.IsRemote() {
				r.AddAttrs(slog.String(SpanIDKey, sc.SpanID().String()))
			}
		}
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogHandler{next: h.next.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{next: h.next.WithGroup(name)}
}
