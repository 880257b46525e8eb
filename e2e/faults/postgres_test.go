package faults_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// TestPostgresRestartsUnderLoad restarts the auth server's PostgreSQL
// under load, once fast and once with a second of downtime. Meanwhile
// requests get 503 with Retry-After, never 500, readiness turns 503 and
// back by itself, and afterwards every grant still works: nothing lost,
// nobody logged out, no refresh token rotated twice.
func TestPostgresRestartsUnderLoad(t *testing.T) {
	c := newCluster(t)
	auth := harness.StartAuth(t, harness.AuthOptions{Env: map[string]string{"AUTH_DB": c.DSN(), "AUTH_LOG_LEVEL": "warn"}})
	us, id, secret := setupUsers(t, auth, 10)
	var tl tally
	ctx, cancel := context.WithCancel(context.Background())
	wait := rotateUntil(ctx, us, auth.URL+"/token", id, secret, &tl)
	watch := watchReadiness(auth.URL)

	time.Sleep(500 * time.Millisecond)
	c.Restart()
	time.Sleep(500 * time.Millisecond)
	c.Stop()
	waitReadiness(t, auth.URL, http.StatusServiceUnavailable, nil)
	a := postForm(client(), auth.URL+"/token", id, secret, url.Values{"grant_type": {"client_credentials"}})
	if a.status != http.StatusServiceUnavailable || a.code != "temporarily_unavailable" {
		t.Errorf("a token request with the database down: %d %q %v, want 503 temporarily_unavailable", a.status, a.code, a.err)
	}
	time.Sleep(time.Second)
	c.Start()
	waitReadiness(t, auth.URL, http.StatusOK, nil)
	time.Sleep(500 * time.Millisecond)
	cancel()
	wait()
	seen := watch.Stop()
	checkAlive(t, us, auth.URL+"/token", id, secret, &tl)
	tl.report(t, "PostgreSQL restarts under load")
	if !slices.Contains(seen, http.StatusServiceUnavailable) || seen[len(seen)-1] != http.StatusOK || slices.Contains(seen, 0) {
		t.Errorf("readiness went %v, want 503 while the database was down and 200 after, and always an answer", seen)
	}
}
