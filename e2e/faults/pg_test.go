package faults_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// cluster is a PostgreSQL server of the test's own, in a temporary
// directory: the suite restarts it at will without touching any server
// other tests use.
type cluster struct {
	t     testing.TB
	bin   string   // directory of initdb and pg_ctl
	dir   string   // the cluster's directory: data, socket, log
	port  string   // on 127.0.0.1
	runAs []string // the command prefix that runs a tool as the cluster's owner
	opts  string   // the server's options
}

// newCluster creates and starts a cluster, stopped and removed when the
// test ends. Without PostgreSQL installed the test is skipped, or fails
// under CI.
func newCluster(t testing.TB) *cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		if p, err := exec.LookPath("pg_ctl"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("PostgreSQL is not installed; CI must install it (see .ci/postgres.sh)")
		}
		t.Skip("PostgreSQL is not installed: the PostgreSQL fault rows need initdb and pg_ctl")
	}
	sort.Strings(bins)
	c := &cluster{t: t, bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "fastsafe-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: the cluster belongs to the
		// postgres user the package created.
		u, err := osuser.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, and no postgres user to own the cluster: %v", err)
		}
		if out, err := exec.Command("chown", u.Username, dir).CombinedOutput(); err != nil {
			t.Fatalf("chown %s: %v\n%s", dir, err, out)
		}
		c.runAs = []string{"runuser", "-u", u.Username, "--"}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, c.port, _ = net.SplitHostPort(ln.Addr().String())
	ln.Close()

	c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "fastsafe", "-E", "UTF8", "--no-sync")
	c.opts = fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
		c.port, c.dir)
	c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", c.opts, "-w", "-t", "60", "start")
	t.Cleanup(func() {
		// Immediate: whatever still holds a connection, the cluster goes.
		_ = c.command("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "-t", "60", "stop").Run()
	})
	return c
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *cluster) command(tool string, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, c.runAs...), filepath.Join(c.bin, tool)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd
}

func (c *cluster) run(tool string, args ...string) {
	c.t.Helper()
	start := time.Now()
	if out, err := c.command(tool, args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		c.t.Fatalf("%s %s: %v\n%s\n%s", tool, strings.Join(args, " "), err, out, log)
	}
	c.t.Logf("%s %s took %s", tool, args[len(args)-1], time.Since(start).Round(time.Millisecond))
}

// DSN is the URL of the cluster's postgres database.
func (c *cluster) DSN() string {
	return "postgres://fastsafe@127.0.0.1:" + c.port + "/postgres?sslmode=disable"
}

// Stop stops the server (fast: sessions are ended, transactions in
// flight rolled back); Start starts it again.
func (c *cluster) Stop() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "-t", "60", "stop")
}

// Start starts the server Stop stopped.
func (c *cluster) Start() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", c.opts, "-w", "-t", "60", "start")
}

// Restart restarts the server the way operators do (fast: sessions are
// ended, transactions in flight rolled back) and returns once it accepts
// connections again.
func (c *cluster) Restart() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", c.opts, "-m", "fast", "-w", "-t", "60", "restart")
}
