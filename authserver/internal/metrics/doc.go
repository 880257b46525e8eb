// Package metrics holds the authorization server's Prometheus metrics
// (all named fastsafe_auth_*) and the pieces that feed them: HTTP
// middleware counting requests by route, a store decorator timing every
// store call, and a collector reading the signing keys at scrape time.
//
// The same middleware and store decorator trace when the server records
// traces (Tracing): each request runs in a server span, and each store
// call made inside one in a span of its own, so that one wrapper times
// and traces. Spans carry the same kinds of values as labels, and the
// request's path.
//
// Labels never hold user names, tokens, secrets or other values a client
// chooses freely: routes are the server's patterns, error codes are the
// RFC's, and a client_id appears only once the client has authenticated
// (clients are created by an administrator, so they are few).
package metrics
