package throttle

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/testclock"
)

type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) }

func TestLimiterLocksOutAfterMaxFailures(t *testing.T) {
	c := newClock()
	l := NewLimiter(Policy{MaxFailures: 3, Lockout: time.Minute}, 0, c.Now)
	for i := 1; i <= 2; i++ {
		if d := l.Fail("bob"); d != 0 {
			t.Fatalf("failure %d locked out for %s", i, d)
		}
		if d := l.Locked("bob"); d != 0 {
			t.Fatalf("locked after %d failures", i)
		}
	}
	if d := l.Fail("bob"); d != time.Minute {
		t.Fatalf("third failure: lockout %s, want 1m", d)
	}
	if d := l.Locked("bob"); d != time.Minute {
		t.Fatalf("Locked = %s, want 1m", d)
	}
	if d := l.Locked("alice"); d != 0 {
		t.Fatalf("another key is locked: %s", d)
	}
	c.Advance(59 * time.Second)
	if d := l.Locked("bob"); d != time.Second {
		t.Fatalf("Locked after 59s = %s, want 1s", d)
	}
	c.Advance(time.Second)
	if d := l.Locked("bob"); d != 0 {
		t.Fatalf("still locked when the lockout ended: %s", d)
	}
}

func TestLimiterLockoutsGrow(t *testing.T) {
	c := newClock()
	l := NewLimiter(Policy{MaxFailures: 2, Lockout: time.Minute}, 0, c.Now)
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 64, 64}
	for i, w := range want {
		l.Fail("bob")
		d := l.Fail("bob")
		if d != w*time.Minute {
			t.Fatalf("lockout %d = %s, want %s", i+1, d, w*time.Minute)
		}
		c.Advance(d)
	}
}

func TestLimiterIgnoresFailuresDuringALockout(t *testing.T) {
	c := newClock()
	l := NewLimiter(Policy{MaxFailures: 2, Lockout: time.Minute}, 0, c.Now)
	l.Fail("bob")
	l.Fail("bob")
	for range 10 {
		if d := l.Fail("bob"); d != 0 {
			t.Fatalf("a failure during the lockout started another: %s", d)
		}
	}
	if d := l.Locked("bob"); d != time.Minute {
		t.Fatalf("failures during the lockout changed it: %s", d)
	}
	c.Advance(time.Minute)
	// The count starts again after a lockout: one failure is not enough.
	if d := l.Fail("bob"); d != 0 {
		t.Fatalf("first failure after the lockout locked out for %s", d)
	}
	if d := l.Fail("bob"); d != 2*time.Minute {
		t.Fatalf("second lockout = %s, want 2m", d)
	}
}

func TestLimiterForgetsQuietKeys(t *testing.T) {
	c := newClock()
	l := NewLimiter(Policy{MaxFailures: 2, Lockout: time.Minute}, 0, c.Now)
	l.Fail("bob")
	l.Fail("bob") // first lockout
	c.Advance(time.Minute + MaxGrowth*time.Minute)
	l.Fail("bob")
	if d := l.Fail("bob"); d != time.Minute {
		t.Fatalf("a key quiet for MaxGrowth lockouts was not forgotten: lockout %s", d)
	}

	l.Fail("carol")
	c.Advance(MaxGrowth*time.Minute - time.Second)
	if d := l.Fail("carol"); d != time.Minute {
		t.Fatalf("a failure within the forget period was forgotten: %s", d)
	}

	l.Fail("dave")
	c.Advance(MaxGrowth * time.Minute)
	before := l.Len()
	if d := l.Locked("dave"); d != 0 || l.Len() != before-1 {
		t.Fatalf("Locked = %s, Len = %d after %d; want the stale record dropped", d, l.Len(), before)
	}
}

func TestLimiterReset(t *testing.T) {
	c := newClock()
	l := NewLimiter(Policy{MaxFailures: 2, Lockout: time.Minute}, 0, c.Now)
	l.Fail("bob")
	l.Fail("bob")
	l.Reset("bob")
	if d := l.Locked("bob"); d != 0 {
		t.Fatalf("locked after Reset: %s", d)
	}
	if d := l.Fail("bob"); d != 0 {
		t.Fatalf("Reset kept the count: %s", d)
	}
}

func TestLimiterOff(t *testing.T) {
	for _, p := range []Policy{{MaxFailures: 0, Lockout: time.Minute}, {MaxFailures: 3, Lockout: 0}} {
		l := NewLimiter(p, 0, newClock().Now)
		for range 100 {
			if d := l.Fail("bob"); d != 0 {
				t.Fatalf("%+v: locked out for %s", p, d)
			}
		}
		if l.Locked("bob") != 0 || l.Len() != 0 {
			t.Fatalf("%+v: a disabled limiter keeps records", p)
		}
	}
}

// TestLimiterMemoryIsBounded floods a Limiter with distinct keys, as a
// spray of user names or addresses would.
func TestLimiterMemoryIsBounded(t *testing.T) {
	c := newClock()
	const capacity = 1024
	l := NewLimiter(Policy{MaxFailures: 5, Lockout: time.Minute}, capacity, c.Now)
	for i := range 100 * capacity {
		l.Fail(fmt.Sprintf("user-%d", i))
	}
	if n := l.Len(); n > capacity {
		t.Fatalf("Len = %d after a flood, want at most %d", n, capacity)
	}
}

// TestLimiterEvictsLeastRecentlyFailed: the record that failed last stays
// when a flood pushes older ones out.
func TestLimiterEvictsLeastRecentlyFailed(t *testing.T) {
	c := newClock()
	l := NewLimiter(Policy{MaxFailures: 2, Lockout: time.Minute}, numShards, c.Now) // one record per shard
	l.Fail("victim")
	// Find keys that land in the victim's shard.
	victimShard := l.shard(digest("victim"))
	var same []string
	for i := 0; len(same) < 2; i++ {
		k := fmt.Sprintf("k%d", i)
		if l.shard(digest(k)) == victimShard {
			same = append(same, k)
		}
	}
	l.Fail(same[0]) // evicts the victim's record
	if d := l.Fail("victim"); d != 0 {
		t.Fatalf("the victim's evicted record was kept: lockout %s", d)
	}
	// The victim failed last: a new key evicts the other one.
	l.Fail(same[1])
	l.Fail(same[0])
	if d := l.Fail(same[0]); d != time.Minute {
		t.Fatalf("recently failed key was evicted: %s", d)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	c := newClock()
	l := NewLimiter(Policy{MaxFailures: 1000, Lockout: time.Minute}, 0, c.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lockouts int
	for g := range 8 {
		wg.Go(func() {
			for i := range 125 {
				if l.Fail("shared") > 0 {
					mu.Lock()
					lockouts++
					mu.Unlock()
				}
				l.Fail(fmt.Sprintf("own-%d-%d", g, i))
				l.Locked("shared")
			}
		})
	}
	wg.Wait()
	if lockouts != 1 {
		t.Fatalf("1000 concurrent failures of one key started %d lockouts, want 1", lockouts)
	}
}
