// Package faults is the fault suite: the real binaries, on real databases,
// under the faults operators meet, each with what must hold. Its tests are
// the package's _test files; run them with go test ./e2e/faults (make test
// does).
//
//	fault                                          what must hold
//	kill -9 of the auth server during rotations    no grant dies (nobody logs in again), no
//	(SQLite, PostgreSQL)                           refresh token yields two successors, no 500
//	PostgreSQL restarts under load                 no 500 (503 with Retry-After meanwhile), no
//	                                               grant dies, readiness 503 while it is down
//	a full disk (a small tmpfs)                    readiness 503 "disk full", no 500, nothing
//	                                               lost, ready again by itself once space is freed
//	the database directory deleted                 readiness 503 "database missing"; a restart
//	                                               refuses to start rather than make an empty one
//	a slow and a dead key endpoint                 tokens of cached keys served; a new key's
//	                                               tokens 503 with Retry-After within --jwks-wait,
//	                                               never 401; served once the endpoint answers
//	SIGTERM under load (both servers)              readiness 503 at once, every request answered,
//	                                               none with a 5xx, then a clean exit
//
// PostgreSQL rows run on a throwaway cluster of their own (initdb under
// the temporary directory, as the postgres user when run as root), which
// they restart at will: they never touch a server other tests share. They
// are skipped where PostgreSQL is not installed, and fail instead under CI.
// The full disk needs root to mount a tmpfs; without it the row is skipped,
// or fails when FASTSAFE_REQUIRE_TMPFS=1.
//
// FASTSAFE_FAULTS_REFRESH_GRACE, if set, is the --refresh-token-grace of
// the kill -9 rows, to measure what the grace window saves: with 0 they
// fail, counting the grants that died.
package faults
