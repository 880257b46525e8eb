package faults_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/e2e/harness"
	"github.com/fastsafe/fastsafe/internal/tmpfs"
)

// startFails runs serve on the auth server's database with extra settings
// and returns what it wrote, failing the test unless it exits with status
// 1 within 30 seconds (it must refuse to start, not serve).
func startFails(t *testing.T, auth *harness.Auth, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := auth.Command(ctx, "serve")
	cmd.Env = append(cmd.Env, extra...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("serve: %v, want exit status 1\n%s", err, out)
	}
	return string(out)
}

// TestFullDisk fills the file system of a SQLite database under load:
// readiness turns 503 naming the full disk, writes answer 503 (never 500)
// and lose nothing, and once space is freed the server is ready again by
// itself, with every grant alive. Started on a full disk, it says so.
func TestFullDisk(t *testing.T) {
	fs := tmpfs.Mount(t, 16<<20)
	db := filepath.Join(fs.Dir, "data", "auth.db")
	auth := harness.StartAuth(t, harness.AuthOptions{Env: map[string]string{"AUTH_DB": db, "AUTH_LOG_LEVEL": "warn"}})
	us, id, secret := setupUsers(t, auth, 5)
	var tl tally
	ctx, cancel := context.WithCancel(context.Background())
	wait := rotateUntil(ctx, us, auth.URL+"/token", id, secret, &tl)

	filler := fs.Fill()
	status := waitReadiness(t, auth.URL, http.StatusServiceUnavailable, func(s string) bool { return strings.Contains(s, "disk full") })
	t.Logf("readiness with the disk full: %q", status)
	a := postForm(client(), auth.URL+"/token", id, secret,
		url.Values{"grant_type": {"password"}, "username": {us[0].name}, "password": {userPassword}})
	if a.status != http.StatusServiceUnavailable || a.code != "temporarily_unavailable" {
		t.Errorf("a login, which writes, on a full disk: %d %q %v, want 503 temporarily_unavailable", a.status, a.code, a.err)
	}
	time.Sleep(500 * time.Millisecond)
	fs.Free(filler)
	waitReadiness(t, auth.URL, http.StatusOK, nil)
	time.Sleep(300 * time.Millisecond)
	cancel()
	wait()
	checkAlive(t, us, auth.URL+"/token", id, secret, &tl)
	tl.report(t, "a full disk under load")

	// Stopped, then started on a full disk: it refuses, naming the cause.
	auth.Stop()
	fs.Fill()
	if out := startFails(t, auth); !strings.Contains(out, "disk full") {
		t.Errorf("serve on a full disk did not say so:\n%s", out)
	}
}

// TestDatabaseGone deletes the directory of the database under a running
// server: readiness turns 503 naming the missing database (what it writes
// would be lost), and a restart refuses to start on a new, empty database
// in its place, saying what to do, unless told to create one.
func TestDatabaseGone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	auth := harness.StartAuth(t, harness.AuthOptions{Env: map[string]string{"AUTH_DB": filepath.Join(dir, "auth.db")}})
	waitReadiness(t, auth.URL, http.StatusOK, nil)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	waitReadiness(t, auth.URL, http.StatusServiceUnavailable, func(s string) bool { return strings.Contains(s, "database missing") })
	auth.Kill()
	out := startFails(t, auth, "AUTH_CREATE_DB=false")
	for _, want := range []string{"database missing", "restore it from a backup", "--create-db"} {
		if !strings.Contains(out, want) {
			t.Errorf("serve on a lost database does not say %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve made %s again: %v", dir, err)
	}
}
