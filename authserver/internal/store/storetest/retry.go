package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// rotate rotates without a grace window: every second use is reuse.
func rotate(s store.Store, c context.Context, oldID string, now time.Time, next store.RefreshToken) error {
	_, err := s.RotateRefreshToken(c, oldID, now, next, 0)
	return err
}

// grace is the retry window of the tests.
const grace = 30 * time.Second

// rotated rotates t1 of a new family into "<id>-t2" at now and returns the
// family and both tokens.
func rotated(t *testing.T, s store.Store, id string, now time.Time) (store.RefreshFamily, store.RefreshToken, store.RefreshToken) {
	t.Helper()
	f, t1 := newFamily(t, s, id, "web", "alice")
	t2 := sampleToken(id+"-t2", f, now)
	retried, err := s.RotateRefreshToken(ctx(t), t1.ID, now, t2, grace)
	must(t, "RotateRefreshToken t1", err)
	if retried {
		t.Fatal("the first rotation reported a retry")
	}
	return f, t1, t2
}

// testRotateRetry presents a rotated token again, with the same successor,
// within the grace window: nothing changes, and the successor goes on
// working.
func testRotateRetry(t *testing.T, s store.Store) {
	now := at(time.Hour)
	f, t1, t2 := rotated(t, s, "fam", now)
	for _, after := range []time.Duration{0, time.Second, grace - time.Nanosecond} {
		retried, err := s.RotateRefreshToken(ctx(t), t1.ID, now.Add(after), t2, grace)
		must(t, fmt.Sprintf("retry %s after the rotation", after), err)
		if !retried {
			t.Fatalf("retry %s after the rotation not reported as one", after)
		}
	}
	got1, fam := getToken(t, s, t1.ID)
	sameTime(t, "t1 UsedAt after retries", got1.UsedAt, now)
	if fam.Revoked() {
		t.Fatal("a retry revoked the family")
	}
	got2, _ := getToken(t, s, t2.ID)
	equal(t, "t2 after retries", got2, t2, normToken)

	// The successor rotates as usual, once.
	t3 := sampleToken("fam-t3", f, now.Add(time.Minute))
	must(t, "RotateRefreshToken t2", rotate(s, ctx(t), t2.ID, now.Add(time.Minute), t3))
}

// testRotateRetryRefused lists what a retry is not: each is reuse, which
// revokes the family.
func testRotateRetryRefused(t *testing.T, s store.Store) {
	now := at(time.Hour)
	tests := []struct {
		name  string
		retry func(t *testing.T, f store.RefreshFamily, t1, t2 store.RefreshToken) error
	}{
		{"at the end of the window", func(t *testing.T, _ store.RefreshFamily, t1, t2 store.RefreshToken) error {
			_, err := s.RotateRefreshToken(ctx(t), t1.ID, now.Add(grace), t2, grace)
			return err
		}},
		{"without a window", func(t *testing.T, _ store.RefreshFamily, t1, t2 store.RefreshToken) error {
			_, err := s.RotateRefreshToken(ctx(t), t1.ID, now.Add(time.Second), t2, 0)
			return err
		}},
		{"with another successor", func(t *testing.T, f store.RefreshFamily, t1, _ store.RefreshToken) error {
			_, err := s.RotateRefreshToken(ctx(t), t1.ID, now.Add(time.Second), sampleToken(f.ID+"-other", f, now), grace)
			return err
		}},
		{"after the successor was used", func(t *testing.T, f store.RefreshFamily, t1, t2 store.RefreshToken) error {
			must(t, "RotateRefreshToken t2", rotate(s, ctx(t), t2.ID, now.Add(time.Second), sampleToken(f.ID+"-t3", f, now.Add(time.Second))))
			_, err := s.RotateRefreshToken(ctx(t), t1.ID, now.Add(2*time.Second), t2, grace)
			return err
		}},
		{"in a revoked family", func(t *testing.T, f store.RefreshFamily, t1, t2 store.RefreshToken) error {
			must(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx(t), f.ID, now.Add(time.Second)))
			_, err := s.RotateRefreshToken(ctx(t), t1.ID, now.Add(2*time.Second), t2, grace)
			return err
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, t1, t2 := rotated(t, s, fmt.Sprintf("fam%d", i), now)
			wantErr(t, "retry", tc.retry(t, f, t1, t2), store.ErrTokenReused)
			if !getFamily(t, s, f.ID).Revoked() {
				t.Fatal("family not revoked")
			}
			_, _, err := s.GetRefreshToken(ctx(t), f.ID+"-other")
			wantErr(t, "successor of the refused retry", err, store.ErrNotFound)
		})
	}
}

// testConcurrentRetries rotates one token into the same successor from
// many goroutines at once, as clients retrying a rotation whose answer
// they lost do: one rotates, every other one is a retry, and the family
// stays live.
func testConcurrentRetries(t *testing.T, s store.Store) {
	raceRetries(t, s, s)
}

// raceRetries races rotations of one token of a family it creates in a
// into one successor, alternately in a and b.
func raceRetries(t *testing.T, a, b store.Store) {
	const n = 20
	f, t1 := newFamily(t, a, "fam", "web", "alice")
	now := at(time.Hour)
	t2 := sampleToken("fam-t2", f, now)
	var rotations, retries atomic.Int32
	errs := make([]error, n)
	race(n, func(i int) {
		s := []store.Store{a, b}[i%2]
		retried, err := s.RotateRefreshToken(ctx(t), t1.ID, now.Add(time.Duration(i)*time.Millisecond), t2, grace)
		errs[i] = err
		switch {
		case err != nil:
		case retried:
			retries.Add(1)
		default:
			rotations.Add(1)
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent retries: %v", err)
	}
	if rotations.Load() != 1 || retries.Load() != n-1 {
		t.Fatalf("%d rotations and %d retries, want 1 and %d", rotations.Load(), retries.Load(), n-1)
	}
	if getFamily(t, b, f.ID).Revoked() {
		t.Fatal("concurrent retries revoked the family")
	}
	got2, _ := getToken(t, b, t2.ID)
	equal(t, "successor", got2, t2, normToken)
}

// testSecret stores a secret once: later candidates are ignored.
func testSecret(t *testing.T, s store.Store) {
	first := []byte("first candidate, 32 bytes long..")
	got, err := s.Secret(ctx(t), "refresh", first)
	must(t, "Secret", err)
	if string(got) != string(first) {
		t.Fatalf("Secret = %q, want the candidate %q", got, first)
	}
	got, err = s.Secret(ctx(t), "refresh", []byte("second candidate"))
	must(t, "Secret again", err)
	if string(got) != string(first) {
		t.Fatalf("Secret again = %q, want the first %q", got, first)
	}
	other, err := s.Secret(ctx(t), "other", []byte("another secret"))
	must(t, "Secret of another name", err)
	if string(other) != "another secret" {
		t.Fatalf("Secret of another name = %q", other)
	}
	if _, err := s.Secret(ctx(t), "", first); err == nil {
		t.Fatal("Secret with an empty name succeeded")
	}
	if _, err := s.Secret(ctx(t), "empty", nil); err == nil {
		t.Fatal("Secret with an empty candidate succeeded")
	}
}

// raceSecrets asks for one secret from a and b at once, each with a
// candidate of its own: every caller gets the same one.
func raceSecrets(t *testing.T, a, b store.Store) {
	const n = 10
	got := make([][]byte, n)
	errs := make([]error, n)
	race(n, func(i int) {
		s := []store.Store{a, b}[i%2]
		got[i], errs[i] = s.Secret(ctx(t), "shared", fmt.Appendf(nil, "candidate %02d", i))
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Secret: %v", err)
	}
	for i := range n {
		if string(got[i]) != string(got[0]) {
			t.Fatalf("caller %d got %q, caller 0 %q", i, got[i], got[0])
		}
	}
}
