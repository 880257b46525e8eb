package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables the tests read.
const (
	// EnvDSN names the server: a postgres:// URL.
	EnvDSN = "FASTSAFE_TEST_POSTGRES"
	// EnvRestart, set to 1, allows Restart to restart that server with
	// pg_ctlcluster: only where the server is the machine's own, as in CI.
	EnvRestart = "FASTSAFE_TEST_POSTGRES_RESTART"
)

// useLockKey is the advisory lock every test holds shared while it uses the
// server, and Restart holds exclusive: "fs-tests" in ASCII.
const useLockKey int64 = 0x66732d7465737473

// waitLimit bounds how long a test waits for the server: for a restart by
// another package's test to finish, or for the server to come back.
const waitLimit = 5 * time.Minute

// BaseDSN returns the URL in EnvDSN. Without it the test is skipped, or
// fails under CI.
func BaseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set; CI must provide a PostgreSQL database (see .ci/postgres.sh)", EnvDSN)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to a postgres:// URL of a database where the role may create schemas, "+
			"such as postgres://fastsafe_test:fastsafe_test@127.0.0.1:5432/fastsafe_test?sslmode=disable", EnvDSN)
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", EnvDSN)
	}
	return dsn
}

// The process holds the use lock shared, on one session, while any of its
// tests has a schema: one hold per process rather than per test, so that a
// test that asks for a second schema never queues behind a waiting restart
// that waits for its first.
var (
	mu    sync.Mutex // guards users and hold; held by Restart throughout
	users int        // tests of this process with a schema
	hold  *pgx.Conn  // the session holding the lock; nil while users is 0
)

// acquire counts a test in, taking the shared lock for the process if it
// is the first.
func acquire(base string) error {
	mu.Lock()
	defer mu.Unlock()
	if users == 0 {
		conn, err := holdShared(base)
		if err != nil {
			return err
		}
		hold = conn
	}
	users++
	return nil
}

// release counts a test out, letting the shared lock go after the last.
func release() {
	mu.Lock()
	defer mu.Unlock()
	users--
	if users == 0 && hold != nil {
		_ = hold.Close(context.Background()) // ends the session, and so the lock
		hold = nil
	}
}

// DSN returns a URL of a new, empty schema of the test's own in the database
// of EnvDSN (search_path set to it), which is dropped when the test ends.
func DSN(t testing.TB) string {
	t.Helper()
	base := BaseDSN(t)
	schema := "fastsafe_test_" + randomHex(t, 8)
	if err := acquire(base); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(release)
	exec := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		conn, err := connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		if err := exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	return WithParam(t, base, "search_path", schema)
}

// WithParam returns dsn with the query parameter name set to value.
func WithParam(t testing.TB, dsn, name, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// holdShared connects and takes the use lock shared, waiting for a restart
// by another test to finish.
func holdShared(base string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for {
		conn, err := connect(ctx, base)
		if err == nil {
			if _, err = conn.Exec(ctx, "SELECT pg_advisory_lock_shared($1)", useLockKey); err == nil {
				return conn, nil
			}
			_ = conn.Close(context.Background())
		}
		// The server may be restarting under another test: it ends
		// waiting sessions and refuses connections for a while.
		if ctx.Err() != nil {
			return nil, fmt.Errorf("waiting for the server: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// connect opens a connection, trying again until ctx is done while the
// server refuses connections.
func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		conn, err := pgx.Connect(cctx, dsn)
		cancel()
		if err == nil {
			return conn, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Restart restarts the PostgreSQL server of EnvDSN with pg_ctlcluster
// (fast mode: sessions are ended, transactions in flight roll back) and
// returns once it accepts connections again. It first waits until no test
// of another package uses the server. The test is skipped unless
// EnvRestart is 1.
func Restart(t testing.TB) {
	t.Helper()
	base := BaseDSN(t)
	SkipUnlessRestartable(t)
	version, cluster := findCluster(t, base)

	mu.Lock()
	defer mu.Unlock()
	// This process's own hold would keep the exclusive lock away.
	if hold != nil {
		_ = hold.Close(context.Background())
		hold = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	excl, err := connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: restart: %v", err)
	}
	if _, err := excl.Exec(ctx, "SELECT pg_advisory_lock($1)", useLockKey); err != nil {
		t.Fatalf("pgtest: restart: waiting for other tests: %v", err)
	}
	out, err := exec.CommandContext(ctx, "pg_ctlcluster", version, cluster, "restart").CombinedOutput()
	_ = excl.Close(context.Background())
	if err != nil {
		t.Fatalf("pgtest: pg_ctlcluster %s %s restart: %v\n%s", version, cluster, err, out)
	}
	if users > 0 {
		if hold, err = holdShared(base); err != nil {
			t.Fatalf("pgtest: after restart: %v", err)
		}
	}
}

// SkipUnlessRestartable skips the test unless Restart may restart the
// server: a test that restarts it calls this first, before it starts
// anything that a skip would leave running.
func SkipUnlessRestartable(t testing.TB) {
	t.Helper()
	BaseDSN(t)
	if os.Getenv(EnvRestart) != "1" {
		t.Skipf("restarting PostgreSQL skipped: set %s=1 where the server of %s is this machine's own cluster", EnvRestart, EnvDSN)
	}
}

// findCluster returns the version and name of the cluster of this machine
// that listens on the port of dsn.
func findCluster(t testing.TB, dsn string) (version, name string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	out, err := exec.Command("pg_lsclusters", "-h").Output()
	if err != nil {
		t.Fatalf("pgtest: pg_lsclusters: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[2] == port {
			return f[0], f[1]
		}
	}
	t.Fatalf("pgtest: no cluster of this machine listens on port %s:\n%s", port, out)
	return "", ""
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// hostPort returns the host:port of dsn.
func hostPort(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return "", errors.New("the URL has no host")
	}
	if port == "" {
		port = "5432"
	}
	return net.JoinHostPort(host, port), nil
}
