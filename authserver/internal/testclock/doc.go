// Package testclock is the settable clock the authorization server's tests
// inject wherever the code under test takes a clock: it stands still until
// the test sets or advances it, and is safe for concurrent use.
package testclock
