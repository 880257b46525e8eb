// Package pgtest gives tests a PostgreSQL database of their own, a way to
// restart the server under them, and a TCP proxy that cuts their
// connections on demand.
//
// The server is named by the environment variable FASTSAFE_TEST_POSTGRES, a
// postgres:// URL of a database in which the role may create schemas; each
// test gets a fresh schema, dropped when it ends. Without the variable the
// tests skip, except under CI (CI set), where they fail: CI provides the
// database (.ci/postgres.sh).
//
// Tests of several packages share the server and run at once, so a test
// that restarts it must not pull it away from another package's test. A
// test process holds a shared advisory lock (key 0x66732d7465737473) while
// any of its tests has a schema, and Restart takes it exclusively first: it
// waits until no other process has a test using the server, and tests that
// start meanwhile wait for the restart to finish. Anything else that uses
// the server of FASTSAFE_TEST_POSTGRES while tests run should hold the same
// lock shared.
package pgtest
