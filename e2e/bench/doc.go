// Package bench measures running fastsafe servers: it drives them over
// loopback with a bounded number of requests, connections and seconds
// (Run), summarises latencies (Summarize, Percentile, Median), times the
// cryptography a token costs in this process (BcryptTime, SignTime), reads
// the resident memory of server processes (RSS) and the heap of a
// verified-token cache entry (CacheBytesPerToken), saves the figures of
// one server configuration (Suite) and renders those of several as a
// Markdown report with an SVG chart (Combine, Report).
//
// It starts no server itself: cmd/loadtest is the command, and run.sh
// (make bench) starts fresh servers for it.
package bench
