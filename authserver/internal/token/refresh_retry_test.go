package token

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// refresh presents value to the endpoint as client.
func (f *fixture) refresh(t *testing.T, client, value string) answer {
	t.Helper()
	return f.post(t, client, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {value}})
}

// wantInvalidGrant checks that a is the one answer to an unusable refresh
// token.
func wantInvalidGrant(t *testing.T, a answer) {
	t.Helper()
	wantRefusal(t, a, refusal{400, "invalid_grant", "the refresh token is invalid, expired or revoked"})
}

// TestRefreshRetryGetsTheSameSuccessor: a client that lost the answer to a
// rotation presents the rotated token again within the grace window and
// gets the same successor, with a new access token, as often as it retries;
// the successor then rotates as usual, and a retry after that is reuse.
func TestRefreshRetryGetsTheSameSuccessor(t *testing.T) {
	f := newFixture(t)
	login, _ := issued(t, f.login(t, "kelvin", goodPassword))
	first, firstClaims := issued(t, f.refresh(t, "web", login.RefreshToken))
	f.observer.take()

	seen := map[string]bool{firstClaims.ID: true}
	for _, after := range []time.Duration{time.Second, 10 * time.Second, refreshGrace - 2*time.Second} {
		f.clock.Advance(after - f.clock.Now().Sub(firstClaims.IssuedAt.Time))
		again, c := issued(t, f.refresh(t, "web", login.RefreshToken))
		if again.RefreshToken != first.RefreshToken {
			t.Fatalf("retry %s after the rotation got another refresh token: a second live one", after)
		}
		if seen[c.ID] || c.SessionID != firstClaims.SessionID || c.Subject != "kelvin" {
			t.Fatalf("retry %s after the rotation: access token %+v, want a new one of the same grant", after, c)
		}
		seen[c.ID] = true
		wantObserved(t, f.observer, "retry", "issued refresh_token web")
	}

	// The successor is the one live token: it rotates once.
	second, _ := issued(t, f.refresh(t, "web", first.RefreshToken))
	if second.RefreshToken == first.RefreshToken || second.RefreshToken == login.RefreshToken {
		t.Fatal("the successor did not rotate")
	}
	f.observer.take()
	// Its parent is still within its window, but the successor it would
	// get again has been used: reuse, which ends the grant.
	wantInvalidGrant(t, f.refresh(t, "web", login.RefreshToken))
	wantObserved(t, f.observer, "reuse", "error token invalid_grant")
	wantInvalidGrant(t, f.refresh(t, "web", second.RefreshToken))
}

// TestRefreshRetryRefused: what is not a retry stays reuse and ends the
// grant, or, from another client, is refused and leaves it alone.
func TestRefreshRetryRefused(t *testing.T) {
	tests := []struct {
		name   string
		adjust func(*Options)
		// retry presents login's rotated refresh token again.
		retry   func(t *testing.T, f *fixture, rotated string) answer
		revoked bool
	}{
		{"after the window", nil, func(t *testing.T, f *fixture, rotated string) answer {
			f.clock.Advance(refreshGrace)
			return f.refresh(t, "web", rotated)
		}, true},
		{"with the window turned off", func(o *Options) { o.RefreshTokenGrace = 0 }, func(t *testing.T, f *fixture, rotated string) answer {
			return f.refresh(t, "web", rotated)
		}, true},
		{"with successors not derived", func(o *Options) { o.RefreshSuccessorKey = nil }, func(t *testing.T, f *fixture, rotated string) answer {
			return f.refresh(t, "web", rotated)
		}, true},
		{"by another client", nil, func(t *testing.T, f *fixture, rotated string) answer {
			return f.refresh(t, "pub", rotated)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var adjust []func(*Options)
			if tt.adjust != nil {
				adjust = append(adjust, tt.adjust)
			}
			f := newFixture(t, adjust...)
			login, _ := issued(t, f.login(t, "kelvin", goodPassword))
			first, _ := issued(t, f.refresh(t, "web", login.RefreshToken))
			f.clock.Advance(time.Second)
			wantInvalidGrant(t, tt.retry(t, f, login.RefreshToken))
			a := f.refresh(t, "web", first.RefreshToken)
			if tt.revoked {
				wantInvalidGrant(t, a)
			} else if a.status != http.StatusOK {
				t.Fatalf("the successor after a refused retry by another client: %d %s", a.status, a.body)
			}
		})
	}
}

// TestConcurrentRefreshRetries: a client that retries while its first
// request is still running (a timeout shorter than the server's answer)
// races its own rotation; every request gets the same successor.
func TestConcurrentRefreshRetries(t *testing.T) {
	f := newFixture(t)
	login, _ := issued(t, f.login(t, "kelvin", goodPassword))
	const n = 8
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { answers[i] = f.refresh(t, "web", login.RefreshToken) })
	}
	wg.Wait()
	var successors []string
	for _, a := range answers {
		resp, _ := issued(t, a)
		successors = append(successors, resp.RefreshToken)
	}
	for _, s := range successors {
		if s != successors[0] {
			t.Fatalf("concurrent rotations of one token gave several refresh tokens: %q", successors)
		}
	}
	issued(t, f.refresh(t, "web", successors[0]))
}

// TestSuccessorIsDerived: a successor is the HMAC of its parent under the
// server secret, never stored; the first token of a grant is random.
func TestSuccessorIsDerived(t *testing.T) {
	f := newFixture(t)
	login, _ := issued(t, f.login(t, "kelvin", goodPassword))
	first, _ := issued(t, f.refresh(t, "web", login.RefreshToken))
	mac := hmac.New(sha256.New, successorKey)
	mac.Write([]byte(successorLabel + login.RefreshToken))
	if want := base64.RawURLEncoding.EncodeToString(mac.Sum(nil)); first.RefreshToken != want {
		t.Fatalf("successor %q, want the HMAC of its parent %q", first.RefreshToken, want)
	}
	if other := (refreshRetry{key: []byte("another server's secret, 32 byte")}).successor(login.RefreshToken); other == first.RefreshToken {
		t.Fatal("the successor does not depend on the server secret")
	}
	again, _ := issued(t, f.login(t, "kelvin", goodPassword))
	if again.RefreshToken == login.RefreshToken {
		t.Fatal("two logins got the same refresh token")
	}
	if _, _, err := f.store.GetRefreshToken(context.Background(), store.RefreshTokenID(first.RefreshToken)); err != nil {
		t.Fatalf("the successor is not stored by its hash: %v", err)
	}
}

// TestRefreshTokenGrantLeavesRetriesToTheRotation: within the window the
// grant neither refuses nor revokes a rotated token; the rotation decides.
func TestRefreshTokenGrantLeavesRetriesToTheRotation(t *testing.T) {
	s := newOneRefreshToken()
	s.token.UsedAt = refreshNow.Add(-refreshGrace + time.Second)
	obs := &recordingObserver{}
	g := &refreshTokenGrant{tokens: s, logger: slog.New(slog.DiscardHandler), observer: obs, grace: refreshGrace}
	d, err := g.decide(context.Background(), harnessClient("web"), refreshTokenRequest{refreshToken: presented}, refreshNow)
	if err != nil {
		t.Fatalf("decide within the window: %v", err)
	}
	if d.refresh == nil || d.refresh.rotateFrom != s.token.ID || len(s.revoked) != 0 {
		t.Fatalf("decision %+v, revoked %q: want a rotation and no revocation", d.refresh, s.revoked)
	}
	s.token.UsedAt = refreshNow.Add(-refreshGrace)
	if _, err := g.decide(context.Background(), harnessClient("web"), refreshTokenRequest{refreshToken: presented}, refreshNow); err == nil {
		t.Fatal("decide at the end of the window succeeded")
	}
	if !slices.Equal(s.revoked, []string{"fam"}) || !slices.Equal(obs.take(), []string{"reuse"}) {
		t.Fatalf("at the end of the window: revoked %q; want the family revoked as reused", s.revoked)
	}
}
