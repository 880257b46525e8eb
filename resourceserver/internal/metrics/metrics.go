package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// OtherRoute is the route label of requests that match no route.
const OtherRoute = "other"

// Metrics are the resource server's metrics, registered on one registry.
// Its methods are safe for concurrent use.
type Metrics struct {
	reg           *prometheus.Registry
	now           func() time.Time
	httpRequests  *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	verifications *prometheus.CounterVec
	// outcomes are the counters of verifications, one per outcome, looked
	// up once: a request counts its outcome without the vector's label
	// look-up and lock.
	outcomes map[string]prometheus.Counter
}

// New creates the metrics and registers them, with the Go runtime and
// process collectors, on reg. now is the clock durations are measured
// with.
func New(reg *prometheus.Registry, now func() time.Time) (*Metrics, error) {
	m := &Metrics{
		reg: reg,
		now: now,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fastsafe_rs_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "fastsafe_rs_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and method.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "fastsafe_rs_token_verifications_total",
			Help: "Bearer token checks of protected routes, by outcome (ok, or the reason of the refusal).",
		}, []string{"outcome"}),
	}
	m.outcomes = make(map[string]prometheus.Counter, len(Outcomes))
	for _, o := range Outcomes {
		m.outcomes[o] = m.verifications.WithLabelValues(o) // every outcome is exported, at 0 until it happens
	}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.verifications,
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Requests is Gin middleware that counts and times every request by its
// route pattern (c.FullPath(); OtherRoute when no route matched).
func (m *Metrics) Requests() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := m.now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = OtherRoute
		}
		method := methodLabel(c.Request.Method)
		m.httpRequests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
		m.httpDuration.WithLabelValues(route, method).Observe(m.now().Sub(start).Seconds())
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
