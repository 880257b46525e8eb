// Command loadtest measures running fastsafe servers over loopback and
// writes docs/performance.md and its chart. It starts no server: make bench
// (e2e/bench/run.sh) starts an authorization server and two resource
// servers, one with the token cache and one without, and passes their
// URLs and process ids.
//
// Each run measures, with a bounded number of requests, connections and
// seconds per phase: the public / and the protected /search of each
// resource server at full load; /search at half its peak; password and
// client_credentials grants at full load, against the capacity of this
// machine for their cryptography, timed in this process; the JWKS and
// client_credentials latency, idle and while password grants saturate the
// CPUs. A last sustained phase samples the servers' resident memory.
//
// The client secret and the user's password are read from the
// LOADTEST_CLIENT_SECRET and LOADTEST_PASSWORD environment variables,
// never from flags.
package main
