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
	mu    sync.Mutex
	m     map[string]store.FailureRecord
	down  bool
	reads int // calls of GetFailures
}

var errDown = errors.New("store down")

func (s *memRecords) GetFailures(_ context.Context, keys []string) ([]store.FailureRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
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

func (s *memRecords) ListFailures(_ context.Context, since, now time.Time) ([]store.FailureRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return nil, errDown
	}
	var out []store.FailureRecord
	for _, r := range s.m {
		if !r.LastFailure.Before(since) && now.Before(r.ForgetAt) {
			out = append(out, r)
		}
	}
	return out, nil
}

// reads returns how many times the counts were read.
func (s *memRecords) readCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
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
		SyncEvery: 5 * time.Millisecond,
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
	b.LoginSucceeded(context.Background(), "bob")
	for i := range 3 {
		if a.AccountLocked(context.Background(), "bob") || b.AccountLocked(context.Background(), "bob") {
			t.Fatalf("locked after %d failures", i)
		}
		replicas[i%2].LoginFailed(request("192.0.2.1:1"), "web", "bob")
	}
	if !a.AccountLocked(context.Background(), "bob") || !b.AccountLocked(context.Background(), "bob") {
		t.Fatal("three failures, across two replicas, did not lock the account at both")
	}
	// The address failed five times, one more than its limit.
	wantThrottled(t, b.AllowClient(request("192.0.2.1:1"), "web"), 2*time.Minute)
	c.Advance(2 * time.Minute)
	if a.AccountLocked(context.Background(), "bob") || a.AllowClient(request("192.0.2.1:1"), "web") != nil {
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
	if !g.AccountLocked(context.Background(), "bob") {
		t.Fatal("with the store down, three failures did not lock the account")
	}
}

// synced runs g's view of the keys failing elsewhere until the test ends,
// and waits for its first complete list.
func synced(t *testing.T, g *Guard) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	s := g.counts.(*sharedCounters)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.known.mu.Lock()
		trusted := s.known.trusted
		s.known.mu.Unlock()
		if trusted {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the view of the keys failing elsewhere never synced")
		}
	}
}

// TestSharedChecksReadOnlyFailingKeys: with its view synced, a replica
// checks clients and addresses that never failed without a read (the hot
// path of every token request), reads those that failed at any replica
// (once its view has them), and always reads accounts.
func TestSharedChecksReadOnlyFailingKeys(t *testing.T) {
	c := newClock()
	recs := &memRecords{m: map[string]store.FailureRecord{}}
	a, b := sharedGuard(c, recs), sharedGuard(c, recs)
	synced(t, a)
	synced(t, b)
	r := request("192.0.2.1:1")
	for range 3 {
		if err := a.AllowClient(r, "web"); err != nil {
			t.Fatal(err)
		}
	}
	if n := recs.readCount(); n != 0 {
		t.Fatalf("%d reads to check a client and an address that never failed, want none", n)
	}
	if a.AccountLocked(context.Background(), "bob") || recs.readCount() != 1 {
		t.Fatalf("an account check: %d reads, want 1", recs.readCount())
	}

	// Five failures of the client at b lock it out; a learns that the
	// client fails and reads it, and refuses it too.
	for i := range 5 {
		b.ClientFailed(request("198.51.100."+string(rune('1'+i))+":1"), "web")
	}
	for deadline := time.Now().Add(10 * time.Second); a.AllowClient(request("203.0.113.1:1"), "web") == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a never refused the client b locked out")
		}
	}
	wantThrottled(t, a.AllowClient(request("203.0.113.1:1"), "web"), time.Minute)

	// While the store cannot list failures, every check reads.
	recs.mu.Lock()
	recs.down = true
	recs.mu.Unlock()
	s := a.counts.(*sharedCounters)
	for deadline := time.Now().Add(10 * time.Second); !s.known.mayBeLocked("client:never-failed", c.Now()); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the view stayed trusted while the store could not be listed")
		}
	}
}
