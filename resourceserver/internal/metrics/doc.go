// Package metrics holds the resource server's Prometheus metrics (all
// named fastsafe_rs_*) and the pieces that feed them: Gin middleware
// counting requests by route, a TokenVerifier decorator and middleware
// that count verification outcomes, and collectors reading the token
// cache and the key set at scrape time.
//
// Labels never hold tokens, subjects, client ids or paths a client
// chooses: routes are the router's patterns and outcomes a fixed list.
package metrics
