package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

const userPassword = "correct horse battery staple"

// client is an HTTP client whose requests give up soon, as a mobile app's
// do: a request the server never answers (it was killed) is retried.
func client() *http.Client {
	return &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

// answer is what the token endpoint said, or err if nothing came back.
type answer struct {
	status  int
	code    string // the OAuth error code
	access  string
	refresh string
	err     error
}

func postForm(c *http.Client, endpoint, clientID, secret string, form url.Values) answer {
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, url.QueryEscape(secret))
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	var body struct {
		Error        string `json:"error"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{err: err}
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return answer{status: resp.StatusCode, err: fmt.Errorf("body %q: %w", b, err)}
	}
	return answer{status: resp.StatusCode, code: body.Error, access: body.AccessToken, refresh: body.RefreshToken}
}

// tally counts what the users saw, for the checks and the report.
type tally struct {
	rotations atomic.Int64 // rotations that succeeded
	retries   atomic.Int64 // requests sent again after no answer or a 503
	died      atomic.Int64 // grants that ended: their users must log in again
	twice     atomic.Int64 // refresh tokens that yielded two different successors
	errors5xx atomic.Int64 // answers 500 or above other than 503
	mu        sync.Mutex
	problems  []string
}

func (t *tally) problem(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.problems) < 20 {
		t.problems = append(t.problems, fmt.Sprintf(format, args...))
	}
}

// user holds one grant, as an app holds a user's refresh token, and
// rotates it; what comes back without an answer is sent again, the same
// refresh token, as every OAuth client library does.
type user struct {
	name    string
	refresh string
	dead    bool // the grant ended
	// successors records what each presented refresh token rotated into.
	successors map[string]string
	// history lists the refresh tokens the user held, oldest first.
	history []string
}

// login starts the user's grant; the auth server must be up.
func (u *user) login(t testing.TB, c *http.Client, auth *harness.Auth, clientID, secret string) {
	t.Helper()
	a := postForm(c, auth.URL+"/token", clientID, secret,
		url.Values{"grant_type": {"password"}, "username": {u.name}, "password": {userPassword}})
	if a.err != nil || a.status != http.StatusOK || a.refresh == "" {
		t.Fatalf("login of %s: %d %q %v", u.name, a.status, a.code, a.err)
	}
	u.refresh = a.refresh
	u.successors = map[string]string{}
	u.history = []string{a.refresh}
}

// rotate refreshes until an answer comes or ctx ends. It returns false if
// the grant died (invalid_grant: the user must log in again).
func (u *user) rotate(ctx context.Context, c *http.Client, endpoint, clientID, secret string, tl *tally) bool {
	if u.dead {
		return false
	}
	presented := u.refresh
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil {
			return true
		}
		a := postForm(c, endpoint, clientID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {presented}})
		switch {
		case a.err != nil || a.status == http.StatusServiceUnavailable:
			tl.retries.Add(1)
			time.Sleep(time.Duration(20+attempt*20) * time.Millisecond)
			continue
		case a.status == http.StatusOK:
			if prev, ok := u.successors[presented]; ok && prev != a.refresh {
				tl.twice.Add(1)
				tl.problem("%s: one refresh token rotated into two", u.name)
			}
			u.successors[presented] = a.refresh
			u.refresh = a.refresh
			u.history = append(u.history, a.refresh)
			tl.rotations.Add(1)
			return true
		case a.status == http.StatusBadRequest && a.code == "invalid_grant":
			u.dead = true
			tl.died.Add(1)
			tl.problem("%s: grant died (invalid_grant) after %d attempts", u.name, attempt+1)
			return false
		default:
			if a.status >= 500 {
				tl.errors5xx.Add(1)
			}
			tl.problem("%s: unexpected answer %d %q", u.name, a.status, a.code)
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// setupUsers adds n users and a client that rotates refresh tokens, and
// logs each user in.
func setupUsers(t *testing.T, auth *harness.Auth, n int) (users []*user, clientID, secret string) {
	t.Helper()
	clientID = "app"
	secret = auth.AddClient(clientID, "--grants", "password,refresh_token,client_credentials", "--scopes", "search", "--audience", "search-api")
	c := client()
	for i := range n {
		u := &user{name: fmt.Sprintf("user%02d", i)}
		auth.AddUser(u.name, userPassword, "search")
		u.login(t, c, auth, clientID, secret)
		users = append(users, u)
	}
	return users, clientID, secret
}

// rotateUntil runs every user's rotations, one after another as fast as
// the server answers, until ctx ends; the returned function waits for them.
func rotateUntil(ctx context.Context, users []*user, endpoint, clientID, secret string, tl *tally) (wait func()) {
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			c := client()
			for ctx.Err() == nil {
				if !u.rotate(ctx, c, endpoint, clientID, secret, tl) {
					return
				}
			}
		})
	}
	return wg.Wait
}

// checkAlive rotates each user's grant once more: after the faults, every
// grant must still work.
func checkAlive(t *testing.T, users []*user, endpoint, clientID, secret string, tl *tally) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := client()
	for _, u := range users {
		u.rotate(ctx, c, endpoint, clientID, secret, tl)
	}
}

// report logs the tally and fails t on what must not happen.
func (tl *tally) report(t *testing.T, what string) {
	t.Helper()
	t.Logf("%s: %d rotations, %d requests sent again after no answer or a 503, "+
		"%d grants died, %d refresh tokens rotated twice, %d 5xx answers but 503",
		what, tl.rotations.Load(), tl.retries.Load(), tl.died.Load(), tl.twice.Load(), tl.errors5xx.Load())
	for _, p := range tl.problems {
		t.Log(p)
	}
	if tl.died.Load() != 0 {
		t.Errorf("%d users must log in again: their grants died", tl.died.Load())
	}
	if tl.twice.Load() != 0 {
		t.Errorf("%d refresh tokens rotated into two different successors", tl.twice.Load())
	}
	if tl.errors5xx.Load() != 0 {
		t.Errorf("%d answers 500 or above, other than 503", tl.errors5xx.Load())
	}
}

// checkReuseStillDetected presents a refresh token u held two rotations
// ago, as a thief with a stolen copy would: after all the faults, it must
// still be taken for reuse, which ends the grant (RFC 9700 §4.14.2).
func checkReuseStillDetected(t *testing.T, u *user, endpoint, clientID, secret string) {
	t.Helper()
	if len(u.history) < 3 {
		t.Fatalf("%s rotated only %d times", u.name, len(u.history)-1)
	}
	c := client()
	stolen := u.history[len(u.history)-3]
	if a := postForm(c, endpoint, clientID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {stolen}}); a.status != http.StatusBadRequest || a.code != "invalid_grant" {
		t.Fatalf("an old refresh token of %s presented again: %d %q %v, want 400 invalid_grant", u.name, a.status, a.code, a.err)
	}
	if a := postForm(c, endpoint, clientID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {u.refresh}}); a.status != http.StatusBadRequest || a.code != "invalid_grant" {
		t.Fatalf("the current refresh token of %s after reuse: %d %q %v, want 400 invalid_grant: the grant must end", u.name, a.status, a.code, a.err)
	}
}
