// Package promtext reads what a service's /metrics serves, in the
// Prometheus text exposition format, for the tests that check its
// metrics: a scrape of a handler, and the value of one series.
package promtext
