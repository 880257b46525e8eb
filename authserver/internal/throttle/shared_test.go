package throttle

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/clientip"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// memRecords is a Records in memory, that fails while down is set.
type memRecords struct {
	mu   sync.Mutex
	m    map[string]store.FailureRecord
	down bool
}

var errDown = errors.New("store down")

func (s *memRecords) GetFailures(_ context.Context, keys []string) ([]store.FailureRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return nil, errDown
	}
	var out []store.FailureRecord
	for _, k := range keys {
		if r, ok := s.m[k]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *memRecords) UpdateFailures(_ context.Context, key string, _ time.Time, update func(store.FailureRecord) store.FailureRecord) (store.FailureRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return store.FailureRecord{}, errDown
	}
	r := s.m[key]
	r.Key = key
	r = update(r)
	s.m[key] = r
	return r, nil
}

func (s *memRecords) DeleteFailures(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return errDown
	}
	delete(s.m, key)
	return nil
}

func sharedGuard(c *clock, recs Records) *Guard {
	return New(Options{
		Account:   Policy{MaxFailures: 3, Lockout: time.Minute},
		Client:    Policy{MaxFailures: 5, Lockout: time.Minute},
		Address:   Policy{MaxFailures: 4, Lockout: 2 * time.Minute},
		Addresses: clientip.New(nil),
		Records:   recs,
		Now:       c.Now,
		Logger:    slog.New(slog.DiscardHandler),
	})
}

// TestSharedCountsAcrossGuards: two Guards on one store (two replicas)
// count failures together, lock out together, and clear together; the
// store holds hashes, not names or addresses.
func TestSharedCountsAcrossGuards(t *testing.T) {
	c := newClock()
	recs := &memRecords{m: map[string]store.FailureRecord{}}
	a, b := sharedGuard(c, recs), sharedGuard(c, recs)
	replicas := []*Guard{a, b}
	for i := range 2 {
		replicas[i%2].LoginFailed(request("192.0.2.1:1"), "web", "bob")
	}
	b.LoginSucceeded("bob")
	for i := range 3 {
		if a.AccountLocked("bob") || b.AccountLocked("bob") {
			t.Fatalf("locked after %d failures", i)
		}
		replicas[i%2].LoginFailed(request("192.0.2.1:1"), "web", "bob")
	}
	if !a.AccountLocked("bob") || !b.AccountLocked("bob") {
		t.Fatal("three failures, across two replicas, did not lock the account at both")
	}
	// The address failed five times, one more than its limit.
	wantThrottled(t, b.AllowClient(request("192.0.2.1:1"), "web"), 2*time.Minute)
	c.Advance(2 * time.Minute)
	if a.AccountLocked("bob") || a.AllowClient(request("192.0.2.1:1"), "web") != nil {
		t.Fatal("still locked after the lockouts")
	}
	for key := range recs.m {
		for _, name := range []string{"bob", "web", "192.0.2.1"} {
			if strings.Contains(key, name) {
				t.Errorf("the store holds %q in a key: %q", name, key)
			}
		}
	}
}

// TestSharedFallsBackWhileTheStoreFails: while the store fails, a replica
// counts in memory: its limits still hold, alone.
func TestSharedFallsBackWhileTheStoreFails(t *testing.T) {
	c := newClock()
	recs := &memRecords{m: map[string]store.FailureRecord{}, down: true}
	g := sharedGuard(c, recs)
	for range 3 {
		g.LoginFailed(request("192.0.2.1:1"), "web", "bob")
	}
	if !g.AccountLocked("bob") {
		t.Fatal("with the store down, three failures did not lock the account")
	}
}
