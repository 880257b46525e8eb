package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// CacheStats reports the counts of a cache of verified tokens.
// *verify.Cached implements it.
type CacheStats interface {
	Stats() verify.CacheStats
}

var _ CacheStats = (*verify.Cached)(nil)

// KeyStats reports the counts of a remote key set. *jwks.Remote
// implements it.
type KeyStats interface {
	Stats() jwks.RemoteStats
}

var _ KeyStats = (*jwks.Remote)(nil)

var (
	cacheHitsDesc = prometheus.NewDesc("fastsafe_rs_token_cache_hits_total",
		"Tokens answered from the cache of verified tokens.", nil, nil)
	cacheMissesDesc = prometheus.NewDesc("fastsafe_rs_token_cache_misses_total",
		"Tokens not found usable in the cache of verified tokens, and so verified.", nil, nil)
	cacheEntriesDesc = prometheus.NewDesc("fastsafe_rs_token_cache_entries",
		"Entries in the cache of verified tokens.", nil, nil)
	jwksFetchesDesc = prometheus.NewDesc("fastsafe_rs_jwks_fetches_total",
		"Fetches of the authorization server's key set, by result (ok or error).", []string{"result"}, nil)
	jwksKeysDesc = prometheus.NewDesc("fastsafe_rs_jwks_keys",
		"Keys of the authorization server in use.", nil, nil)
	jwksLastSuccessDesc = prometheus.NewDesc("fastsafe_rs_jwks_last_success_timestamp_seconds",
		"Unix time of the last successful fetch of the key set; 0 before the first. Its age is time() minus this.", nil, nil)
)

type cacheCollector struct{ c CacheStats }

// WatchCache registers the token cache metrics, read from c at each
// scrape.
func (m *Metrics) WatchCache(c CacheStats) error { return m.reg.Register(cacheCollector{c}) }

// Describe implements prometheus.Collector.
func (cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheHitsDesc
	ch <- cacheMissesDesc
	ch <- cacheEntriesDesc
}

// Collect implements prometheus.Collector.
func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.c.Stats()
	ch <- prometheus.MustNewConstMetric(cacheHitsDesc, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(cacheMissesDesc, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(cacheEntriesDesc, prometheus.GaugeValue, float64(s.Entries))
}

type keyCollector struct{ k KeyStats }

// WatchKeys registers the key set metrics, read from k at each scrape.
func (m *Metrics) WatchKeys(k KeyStats) error { return m.reg.Register(keyCollector{k}) }

// Describe implements prometheus.Collector.
func (keyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jwksFetchesDesc
	ch <- jwksKeysDesc
	ch <- jwksLastSuccessDesc
}

// Collect implements prometheus.Collector.
func (c keyCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.k.Stats()
	ch <- prometheus.MustNewConstMetric(jwksFetchesDesc, prometheus.CounterValue, float64(s.Fetches), "ok")
	ch <- prometheus.MustNewConstMetric(jwksFetchesDesc, prometheus.CounterValue, float64(s.FetchErrors), "error")
	ch <- prometheus.MustNewConstMetric(jwksKeysDesc, prometheus.GaugeValue, float64(s.Keys))
	last := 0.0
	if !s.LastSuccess.IsZero() {
		last = float64(s.LastSuccess.UnixNano()) / float64(time.Second)
	}
	ch <- prometheus.MustNewConstMetric(jwksLastSuccessDesc, prometheus.GaugeValue, last)
}
