package harness

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // reads the signing key out of the auth server's database

	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// Binaries are the built executables.
type Binaries struct {
	Auth     string
	Resource string
}

var (
	inMain    bool // Main runs the tests
	buildOnce sync.Once
	buildDir  string // where Build put the binaries; Main removes it
	built     Binaries
	buildErr  error
)

// Main runs the tests of a package that uses the harness, then removes
// the binaries Build compiled for them, and returns the exit code. Every
// such package calls it from its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
func Main(m *testing.M) int {
	inMain = true
	code := m.Run()
	if buildDir != "" {
		if err := os.RemoveAll(buildDir); err != nil {
			fmt.Fprintf(os.Stderr, "harness: removing the binaries: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Build compiles both binaries once per test process, into a temporary
// directory that Main removes when the tests end, from the workspace that
// contains this package. It fails outside Main, which would leave the
// binaries behind.
func Build() (Binaries, error) {
	buildOnce.Do(func() {
		if !inMain {
			buildErr = errors.New("harness: Build outside harness.Main: call it from the package's TestMain, which removes the binaries")
			return
		}
		root, err := Root()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "fastsafe-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		built = Binaries{Auth: filepath.Join(dir, "authserver"), Resource: filepath.Join(dir, "resourceserver")}
		for out, pkg := range map[string]string{built.Auth: "./authserver", built.Resource: "./resourceserver"} {
			cmd := exec.Command("go", "build", "-o", out, pkg)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
				return
			}
		}
	})
	return built, buildErr
}

// Root returns the workspace root: the nearest directory above the working
// directory that holds go.work.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.work above the working directory")
		}
		dir = parent
	}
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Process is one running server.
type Process struct {
	t    testing.TB
	name string
	bin  string
	args []string
	env  []string
	Logs *logbuf.Buffer // its standard output and error
	cmd  *exec.Cmd
	// exited is closed when the process has exited, with its exit
	// status in exitErr; both may be read any number of times.
	exited  chan struct{}
	exitErr error
}

func (p *Process) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.Logs, p.Logs
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	p.cmd = cmd
	exited := make(chan struct{})
	p.exited = exited
	go func() {
		p.exitErr = cmd.Wait()
		close(exited)
	}()
}

// Stop sends SIGTERM and waits for a graceful exit (bounded).
func (p *Process) Stop() {
	p.t.Helper()
	if p.cmd == nil {
		return
	}
	defer func() { p.cmd = nil }()
	select {
	case <-p.exited:
		// It exited by itself before; waitHTTP or the test said so.
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.exitErr != nil {
			p.t.Errorf("%s exited with %v after SIGTERM\n%s", p.name, p.exitErr, p.Logs.String())
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		p.t.Errorf("%s did not stop within 30s of SIGTERM", p.name)
	}
}

// Kill sends SIGKILL, as a crash or an OOM kill would end the process, and
// waits for it to end.
func (p *Process) Kill() {
	p.t.Helper()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.cmd = nil
}

// Terminate sends SIGTERM and returns at once; Wait then waits for the
// exit. For tests that keep sending requests while the process drains.
func (p *Process) Terminate() {
	p.t.Helper()
	if p.cmd != nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
}

// Signal sends sig to the process, such as SIGHUP, which makes the
// resource server fetch the key set at once.
func (p *Process) Signal(sig os.Signal) {
	p.t.Helper()
	if p.cmd != nil {
		if err := p.cmd.Process.Signal(sig); err != nil {
			p.t.Errorf("signal %s: %v", sig, err)
		}
	}
}

// Wait waits, at most timeout, for the process to exit, and returns how
// it exited.
func (p *Process) Wait(timeout time.Duration) error {
	p.t.Helper()
	if p.cmd == nil {
		return nil
	}
	select {
	case <-p.exited:
		p.cmd = nil
		return p.exitErr
	case <-time.After(timeout):
		return fmt.Errorf("%s did not exit within %s", p.name, timeout)
	}
}

// waitHTTP polls url until it answers 200, for at most 30 seconds.
func waitHTTP(t testing.TB, p *Process, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			t.Fatalf("%s exited early: %v\n%s", p.name, p.exitErr, p.Logs.String())
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 at %s within 30s\n%s", p.name, url, p.Logs.String())
}

// Auth is a running authorization server.
type Auth struct {
	*Process
	URL  string
	Addr string
	DB   string
}

// AuthOptions tunes StartAuth.
type AuthOptions struct {
	// Env holds extra AUTH_* settings, and any other variable, such as
	// the OTEL_* ones of tracing.
	Env map[string]string
}

// StartAuth starts an authorization server on a fresh SQLite database
// with a loopback issuer, a low bcrypt cost for speed, and JSON logs.
func StartAuth(t testing.TB, opts AuthOptions) *Auth {
	t.Helper()
	bins, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	a := &Auth{URL: "http://" + addr, Addr: addr, DB: filepath.Join(t.TempDir(), "auth.db")}
	env := map[string]string{
		"AUTH_ADDR":      addr,
		"AUTH_ISSUER":    a.URL,
		"AUTH_DB":        a.DB,
		"AUTH_CREATE_DB": "true",
		// No load balancer to wait for; the tests of draining set it.
		"AUTH_SHUTDOWN_DRAIN": "0s",
		"AUTH_BCRYPT_COST":    "4",
		"AUTH_LOG_FORMAT":     "json",
		"AUTH_LOG_LEVEL":      "debug",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	a.Process = &Process{t: t, name: "authserver", bin: bins.Auth, args: []string{"serve"}, env: environ(env), Logs: &logbuf.Buffer{}}
	a.start()
	t.Cleanup(a.Stop)
	waitHTTP(t, a.Process, a.URL+"/healthz")
	return a
}

// Start starts the server again, after Kill or Stop, on the same port
// and database, and waits until it answers /healthz.
func (a *Auth) Start() {
	a.t.Helper()
	a.start()
	waitHTTP(a.t, a.Process, a.URL+"/healthz")
}

// Restart stops the server and starts it again on the same port and database.
func (a *Auth) Restart() {
	a.t.Helper()
	a.Stop()
	a.start()
	waitHTTP(a.t, a.Process, a.URL+"/healthz")
}

// CLI runs an authserver command on the server's database with stdin as
// its standard input, and returns its standard output. It fails the test
// if the command fails.
func (a *Auth) CLI(stdin string, args ...string) string {
	a.t.Helper()
	out, errOut, err := a.TryCLI(stdin, args...)
	if err != nil {
		a.t.Fatalf("authserver %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// TryCLI is CLI without failing the test.
func (a *Auth) TryCLI(stdin string, args ...string) (stdout, stderr string, err error) {
	bins, err := Build()
	if err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bins.Auth, args...)
	cmd.Env = a.env
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// Command returns the authserver command with args, on the server's
// database and settings, bound to ctx; later entries of its Env win.
func (a *Auth) Command(ctx context.Context, args ...string) *exec.Cmd {
	a.t.Helper()
	bins, err := Build()
	if err != nil {
		a.t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bins.Auth, args...)
	cmd.Env = append([]string(nil), a.env...)
	return cmd
}

// AddUser adds a user with the given password and scopes.
func (a *Auth) AddUser(name, password string, scopes ...string) {
	a.t.Helper()
	args := []string{"users", "add", name}
	if len(scopes) > 0 {
		args = append(args, "--scopes", strings.Join(scopes, ","))
	}
	a.CLI(password+"\n", args...)
}

// AddClient adds a client and returns its secret ("" for public clients).
func (a *Auth) AddClient(id string, args ...string) string {
	a.t.Helper()
	return strings.TrimSpace(a.CLI("", append([]string{"clients", "add", id}, args...)...))
}

// SigningKey reads the newest signing key and its kid out of the
// database, so tests can forge tokens that carry a valid signature.
func (a *Auth) SigningKey() (kid, alg string, key crypto.Signer) {
	a.t.Helper()
	db, err := sql.Open("sqlite", "file:"+a.DB+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		a.t.Fatal(err)
	}
	defer db.Close()
	var der []byte
	err = db.QueryRow(`SELECT id, algorithm, private_key FROM signing_keys ORDER BY activates_at DESC, id DESC LIMIT 1`).Scan(&kid, &alg, &der)
	if err != nil {
		a.t.Fatal(err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		a.t.Fatal(err)
	}
	return kid, alg, k.(crypto.Signer)
}

// Resource is a running resource server.
type Resource struct {
	*Process
	URL string
}

// ResourceOptions tunes StartResource.
type ResourceOptions struct {
	// Env holds extra RS_* settings, and any other variable, such as the
	// OTEL_* ones of tracing.
	Env map[string]string
}

// StartResource starts a resource server trusting auth, and waits until it
// has loaded auth's keys.
func StartResource(t testing.TB, auth *Auth, opts ResourceOptions) *Resource {
	t.Helper()
	bins, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	r := &Resource{URL: "http://" + addr}
	env := map[string]string{
		"RS_ADDR":       addr,
		"RS_ISSUER":     auth.URL,
		"RS_PUBLIC_URL": r.URL,
		"RS_LOG_FORMAT": "json",
		"RS_LOG_LEVEL":  "debug",
		// No load balancer to wait for; the tests of draining set it.
		"RS_SHUTDOWN_DRAIN": "0s",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	r.Process = &Process{t: t, name: "resourceserver", bin: bins.Resource, env: environ(env), Logs: &logbuf.Buffer{}}
	r.start()
	t.Cleanup(r.Stop)
	waitHTTP(t, r.Process, r.URL+"/readyz")
	return r
}

// ProcessOptions describe a program for StartProcess.
type ProcessOptions struct {
	Name  string            // what failures call it
	Bin   string            // the executable
	Args  []string          // its arguments
	Env   map[string]string // its environment, besides PATH and HOME
	Ready string            // a URL that answers 200 once it serves
}

// StartProcess runs a program other than the servers, such as a relying
// party built for a test, with as little environment as the servers get.
// It waits until o.Ready answers 200, and stops the program, expecting a
// clean exit, when the test ends.
func StartProcess(t testing.TB, o ProcessOptions) *Process {
	t.Helper()
	p := &Process{t: t, name: o.Name, bin: o.Bin, args: o.Args, env: environ(o.Env), Logs: &logbuf.Buffer{}}
	p.start()
	t.Cleanup(p.Stop)
	waitHTTP(t, p, o.Ready)
	return p
}

// environ is a minimal environment: PATH and HOME from this process, and vars.
func environ(vars map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}
