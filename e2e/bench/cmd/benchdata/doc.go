// Command benchdata measures how the authorization server's latency and
// database size behave as its data grows, for make bench
// (e2e/bench/data.sh), which starts the servers, seeds their databases with
// bin/benchseed and passes their URLs and the seeding's name formats.
//
// benchdata latency drives two authorization servers with the same
// settings, one on a small database and one on a big one, at a fixed
// moderate rate (open loop, so that latency is the cost of a request and
// not queueing), alternating between them so that both are measured under
// the same conditions: password, refresh_token and client_credentials
// grants, /introspect and /revoke, on seeded users, clients and refresh
// tokens. It appends to -out a section with the big ÷ small ratios of the
// p50 and p99 latencies, medians of -runs runs, against the goal of 1.2.
//
// benchdata sustain drives one server with password grants each followed
// by a chain of refresh grants, for -duration, and samples the database's
// size every -every with -size (a shell command that prints a number of
// bytes), and appends the series to -out.
//
// benchdata requests sends -n requests of one operation (-op) to -big,
// one at a time, so that a script can count the statements they ran.
//
// The seeded users' password and clients' secret are read from
// BENCHSEED_PASSWORD and BENCHSEED_CLIENT_SECRET, never from flags.
package main
