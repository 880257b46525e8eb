package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// Option adjusts how New assembles the server beyond what config.Config
// sets: settings that operators do not need but tests and embedders do.
type Option func(*options)

type options struct {
	keyReloadInterval time.Duration
	// keyRotationCheckInterval is how often scheduled key rotation checks
	// whether it is due; zero means signing.DefaultRotationCheckInterval.
	keyRotationCheckInterval time.Duration
	registry                 *prometheus.Registry
	tracerProvider           trace.TracerProvider
}

// WithRegistry registers the server's metrics on reg rather than on a
// registry of its own, so that an embedder can add its own or read them.
func WithRegistry(reg *prometheus.Registry) Option {
	return func(o *options) { o.registry = reg }
}

// WithKeyReloadInterval sets how often the server reloads the signing keys
// from the store, which bounds how long a key added by another replica
// (such as a rotation) takes to be published here. Zero or less keeps the
// default, signing.DefaultReloadInterval.
func WithKeyReloadInterval(d time.Duration) Option {
	return func(o *options) { o.keyReloadInterval = d }
}

// WithKeyRotationCheckInterval sets how often scheduled key rotation
// (cfg.KeyRotation) checks whether the active key is due for replacement.
// Zero or less keeps the default, signing.DefaultRotationCheckInterval.
func WithKeyRotationCheckInterval(d time.Duration) Option {
	return func(o *options) { o.keyRotationCheckInterval = d }
}

// WithTracerProvider makes the server trace with tp: every request in a
// server span that continues the trace of its traceparent header, and the
// store calls, bcrypt computations and key fetches of a traced request in
// spans under it. Without it (or with nil) the server traces nothing.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}
