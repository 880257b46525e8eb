package reqlog

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

type ctxKey struct{}

type entry struct {
	clientID atomic.Pointer[string]
}

// SetClientID records the authenticated client of the request in ctx, for
// its log line. It does nothing outside a request served by Middleware.
func SetClientID(ctx context.Context, id string) {
	if e, ok := ctx.Value(ctxKey{}).(*entry); ok {
		e.clientID.Store(&id)
	}
}

type recorder struct {
	http.ResponseWriter
	status  int
	written int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.written += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Middleware logs every request on logger at info level (5xx at error
// level) with the clock now.
func Middleware(logger *slog.Logger, now func() time.Time) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := now()
			e := &entry{}
			rec := &recorder{ResponseWriter: w}
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, e))
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					logger.ErrorContext(r.Context(), "handler panic", "method", r.Method, "path", r.URL.Path, "panic", p)
					if rec.status == 0 {
						rec.Header().Set("Content-Type", "application/json;charset=UTF-8")
						rec.Header().Set("Cache-Control", "no-store")
						rec.WriteHeader(http.StatusInternalServerError)
						_, _ = rec.Write([]byte(`{"error":"server_error","error_description":"internal error"}` + "\n"))
					}
				}
				status := rec.status
				if status == 0 {
					status = http.StatusOK
				}
				attrs := []slog.Attr{
					slog.String("method", r.Method),
					slog.String("path", shorten(r.URL.Path)),
					slog.Int("status", status),
					slog.Duration("duration", now().Sub(start)),
					slog.Int64("bytes", rec.written),
				}
				if id := e.clientID.Load(); id != nil {
					attrs = append(attrs, slog.String("client_id", *id))
				}
				level := slog.LevelInfo
				switch {
				case status == http.StatusServiceUnavailable:
					// Expected while the database is away or during a
					// drain, when every load-balancer probe gets it.
					level = slog.LevelWarn
				case status >= 500:
					level = slog.LevelError
				}
				logger.LogAttrs(r.Context(), level, "request", attrs...)
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// shorten bounds a logged path, so a hostile one cannot bloat the log.
func shorten(path string) string {
	const max = 256
	if len(path) <= max {
		return path
	}
	return strings.ToValidUTF8(path[:max], "") + "…"
}
