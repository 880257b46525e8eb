package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fastsafe/fastsafe/authserver/internal/signing"
)

// KeyStats reports the state of the signing keys. *signing.Keyring
// implements it.
type KeyStats interface {
	Stats() signing.Stats
}

var _ KeyStats = (*signing.Keyring)(nil)

var (
	keysDesc = prometheus.NewDesc("fastsafe_auth_signing_keys",
		"Signing keys, by state (next: published, not signing yet; active: signing; retired: published for tokens it signed; revoked: withdrawn, unpublished, kept until its tokens expire).",
		[]string{"state"}, nil)
	activeAgeDesc = prometheus.NewDesc("fastsafe_auth_signing_key_active_age_seconds",
		"Time since the key that signs now started signing; 0 when no key is active.", nil, nil)
	nextActivationDesc = prometheus.NewDesc("fastsafe_auth_signing_key_next_activation_timestamp_seconds",
		"Unix time at which the next key starts signing; 0 when there is no next key.", nil, nil)
)

// keyCollector reads the keys at scrape time.
type keyCollector struct {
	keys KeyStats
	now  func() time.Time
}

// WatchKeys registers the signing key gauges, read from keys at each
// scrape.
func (m *Metrics) WatchKeys(keys KeyStats) error {
	return m.reg.Register(&keyCollector{keys: keys, now: m.now})
}

// Describe implements prometheus.Collector.
func (c *keyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- keysDesc
	ch <- activeAgeDesc
	ch <- nextActivationDesc
}

// Collect implements prometheus.Collector.
func (c *keyCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.keys.Stats()
	ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(s.Next), string(signing.StateNext))
	ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(s.Active), string(signing.StateActive))
	ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(s.Retired), string(signing.StateRetired))
	ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(s.Revoked), string(signing.StateRevoked))
	age := 0.0
	if !s.ActiveSince.IsZero() {
		age = max(c.now().Sub(s.ActiveSince).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(activeAgeDesc, prometheus.GaugeValue, age)
	next := 0.0
	if !s.NextActivation.IsZero() {
		next = float64(s.NextActivation.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(nextActivationDesc, prometheus.GaugeValue, next)
}
