package server

import "time"

// Option adjusts how New assembles the server beyond what config.Config
// sets: settings that operators do not need but tests and embedders do.
type Option func(*options)

type options struct {
	keyReloadInterval time.Duration
}

// WithKeyReloadInterval sets how often the server reloads the signing keys
// from the store, which bounds how long a key added by another replica
// (such as a rotation) takes to be published here. Zero or less keeps the
// default, signing.DefaultReloadInterval.
func WithKeyReloadInterval(d time.Duration) Option {
	return func(o *options) { o.keyReloadInterval = d }
}
