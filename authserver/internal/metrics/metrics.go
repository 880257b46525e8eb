package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/pkg/tracing"
)

// OtherRoute is the route label of requests that match no route.
const OtherRoute = "other"

// Metrics are the authorization server's metrics, registered on one
// registry. Its methods are safe for concurrent use; a nil *Metrics
// records nothing. It is the token.Observer of the token endpoint and the
// tokenstate.ErrorObserver of introspection and revocation: package server
// passes it as both, which the compiler checks there, so that this package
// does not depend on the handlers it observes.
type Metrics struct {
	reg           *prometheus.Registry
	now           func() time.Time
	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	tokensIssued  *prometheus.CounterVec
	tokenErrors   *prometheus.CounterVec
	bcrypt        prometheus.Histogram
	throttled     *prometheus.CounterVec
	reuse         prometheus.Counter
	retries       prometheus.Counter
	writable      prometheus.Gauge
	revocations   prometheus.Counter
	codeReuse     prometheus.Counter
	storeDuration *prometheus.HistogramVec
	keyRotations  *prometheus.CounterVec
	backups       *prometheus.CounterVec
	// tracer starts the spans of requests and store calls; nil when the
	// server records no traces.
	tracer trace.Tracer
}

// TracerScope is the instrumentation scope of the authorization server's
// spans.
const TracerScope = "github.com/fastsafe/fastsafe/authserver"

// Option adjusts New.
type Option func(*Metrics)

// Tracing makes the middleware run every request in a server span, and
// the store run every call made inside a recorded trace in a span, with
// tracers of tp. Without it, nothing is traced and nothing is spent on
// traces.
func Tracing(tp trace.TracerProvider) Option {
	return func(m *Metrics) {
		if tp != nil {
			m.tracer = tp.Tracer(TracerScope)
		}
	}
}

// New creates the metrics and registers them, with the Go runtime and
// process collectors, on reg. now is the clock durations are measured
// with.
func New(reg *prometheus.Registry, now func() time.Time, opts ...Option) (*Metrics, error) {
	m := &Metrics{
		reg: reg,
		now: now,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fastsafe_auth_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fastsafe_auth_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		tokensIssued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fastsafe_auth_tokens_issued_total",
			Help: "Access tokens issued, by grant type and (authenticated) client.",
		}, []string{"grant", "client_id"}),
		tokenErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fastsafe_auth_token_errors_total",
			Help: "Error answers of the token, introspection and revocation endpoints, by endpoint and RFC 6749/7009 error code.",
		}, []string{"endpoint", "error"}),
		bcrypt: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "fastsafe_auth_bcrypt_duration_seconds",
			Help:    "Time of each bcrypt computation (password check or hash), excluding the wait for a free slot.",
			Buckets: []float64{.01, .025, .05, .075, .1, .15, .2, .3, .5, .75, 1, 2, 5},
		}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fastsafe_auth_throttled_total",
			Help: "Requests refused because an account, client or source address is locked out after repeated failures.",
		}, []string{"kind"}),
		reuse: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fastsafe_auth_refresh_reuse_detected_total",
			Help: "Refresh tokens presented again after rotation; each revokes its grant.",
		}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fastsafe_auth_refresh_retries_total",
			Help: "Rotated refresh tokens presented again within the grace window (--refresh-token-grace) by a client that lost the answer; each got its successor again.",
		}),
		writable: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "fastsafe_auth_store_writable",
			Help: "1 if the last readiness check could write to the store, 0 if it could not (disk full, read-only, locked, database missing); /readyz answers 503 meanwhile.",
		}),
		revocations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fastsafe_auth_signing_key_revocations_total",
			Help: "Signing keys this server published and then found revoked ('authserver keys revoke'), after which it no longer publishes or uses them.",
		}),
		codeReuse: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fastsafe_auth_code_reuse_detected_total",
			Help: "Authorization codes presented a second time; each revokes the grant the first use started.",
		}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fastsafe_auth_store_duration_seconds",
			Help:    "Time of store calls, by store method.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"op"}),
		keyRotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fastsafe_auth_key_rotations_total",
			Help: "Signing key rotations started by this process, by trigger (schedule or manual).",
		}, []string{"trigger"}),
		backups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fastsafe_auth_backups_total",
			Help: "Backups of the store taken by this process, by result (ok or error).",
		}, []string{"result"}),
	}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.tokensIssued, m.tokenErrors, m.bcrypt,
		m.throttled, m.reuse, m.retries, m.writable, m.revocations, m.codeReuse, m.storeDuration, m.keyRotations, m.backups,
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, o := range opts {
		o(m)
	}
	return m, nil
}

// Registry is the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// TokenIssued counts an access token issued with grant to clientID, a
// client that authenticated.
func (m *Metrics) TokenIssued(grant, clientID string) {
	if m != nil {
		m.tokensIssued.WithLabelValues(grant, clientID).Inc()
	}
}

// TokenError counts an error answer of endpoint ("token", "introspect" or
// "revoke") with the OAuth error code.
func (m *Metrics) TokenError(endpoint, code string) {
	if m != nil {
		m.tokenErrors.WithLabelValues(endpoint, code).Inc()
	}
}

// ObserveBcrypt records the duration of a bcrypt computation.
func (m *Metrics) ObserveBcrypt(d time.Duration) {
	if m != nil {
		m.bcrypt.Observe(d.Seconds())
	}
}

// Throttled counts a request refused by a lockout of kind: "account",
// "client" or "address".
func (m *Metrics) Throttled(kind string) {
	if m != nil {
		m.throttled.WithLabelValues(kind).Inc()
	}
}

// RefreshReuseDetected counts a rotated refresh token presented again.
func (m *Metrics) RefreshReuseDetected() {
	if m != nil {
		m.reuse.Inc()
	}
}

// RefreshRetried counts a rotated refresh token presented again within
// the grace window.
func (m *Metrics) RefreshRetried() {
	if m != nil {
		m.retries.Inc()
	}
}

// StoreWritable records the outcome of a readiness check of the store.
func (m *Metrics) StoreWritable(ok bool) {
	if m != nil {
		v := 0.0
		if ok {
			v = 1
		}
		m.writable.Set(v)
	}
}

// KeyRevoked counts a signing key this server published and then found
// revoked.
func (m *Metrics) KeyRevoked(string) {
	if m != nil {
		m.revocations.Inc()
	}
}

// CodeReuseDetected counts an authorization code presented a second time.
func (m *Metrics) CodeReuseDetected() {
	if m != nil {
		m.codeReuse.Inc()
	}
}

// KeyRotated counts a key rotation started by trigger: "schedule" or
// "manual".
func (m *Metrics) KeyRotated(trigger string) {
	if m != nil {
		m.keyRotations.WithLabelValues(trigger).Inc()
	}
}

// BackupDone counts a backup that ended with result: "ok" or "error".
func (m *Metrics) BackupDone(result string) {
	if m != nil {
		m.backups.WithLabelValues(result).Inc()
	}
}

// Middleware counts and times every request and, with Tracing, runs it in
// a server span that continues the trace of its traceparent header.
// route names the route pattern a request matches, "" (or OtherRoute)
// for none; it must return one of a fixed set of values, never a part of
// the path.
func (m *Metrics) Middleware(route func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := m.now()
			rt := route(r)
			if rt == "" {
				rt = OtherRoute
			}
			var span trace.Span
			if m.tracer != nil {
				spanRoute := rt
				if spanRoute == OtherRoute {
					spanRoute = ""
				}
				r, span = tracing.StartServer(m.tracer, r, spanRoute)
			}
			method := methodLabel(r.Method)
			sw := &statusWriter{ResponseWriter: w}
			defer func() {
				code := sw.status
				if code == 0 {
					code = http.StatusOK
				}
				if p := recover(); p != nil {
					code = http.StatusInternalServerError
					defer panic(p)
				}
				m.httpRequests.WithLabelValues(rt, method, strconv.Itoa(code)).Inc()
				m.httpDuration.WithLabelValues(rt, method).Observe(m.now().Sub(start).Seconds())
				if span != nil {
					tracing.EndServer(span, code)
				}
			}()
			next.ServeHTTP(sw, r)
		})
	}
}

// methodLabel bounds the method label to the standard methods: a client
// may send any token as a method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	default:
		return "OTHER"
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
