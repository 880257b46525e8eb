// Command loadtest measures running fastsafe servers over loopback and
// writes docs/performance.md and its chart. It starts no server: make bench
// (e2e/bench/run.sh) starts an authorization server and two resource
// servers, one with the token cache and one without, and passes their
// URLs and process ids; it does so once per signing algorithm, each
// loadtest saving its figures (-save), and a last loadtest -combine writes
// the one report of them all.
//
// Each run measures, with a bounded number of requests, connections and
// seconds per phase: the public / (bare, and carrying the token) and the
// protected /search of each resource server at full load, /search without
// the cache against the CPU time of one signature verification; /search at
// half its peak; the authorization server's bare GET /healthz, its floor;
// password and client_credentials grants and the browser sign-in flow
// (-signin-client) at full load, against the capacity of this machine for
// their cryptography, timed in this process, and client_credentials also
// against cores ÷ (the floor + one signature); the JWKS and
// client_credentials latency, idle and while password grants saturate the
// CPUs (-latency). A last sustained phase samples the servers' resident
// memory, and a verified-token cache filled with the server's tokens gives
// the heap one entry takes (-cache-tokens).
//
// The client secret and the user's password are read from the
// LOADTEST_CLIENT_SECRET and LOADTEST_PASSWORD environment variables,
// never from flags.
package main
