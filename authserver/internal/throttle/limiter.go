package throttle

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// MaxGrowth bounds how long lockouts grow: at most MaxGrowth times
// Policy.Lockout. It is also how long a key must stay quiet to be
// forgotten, in multiples of Policy.Lockout.
const MaxGrowth = 64

// DefaultCapacity is the number of records a Limiter keeps when Capacity
// is zero.
const DefaultCapacity = 1 << 16

const numShards = 16

// Policy says when a key is locked out, and for how long.
type Policy struct {
	// MaxFailures is the number of failures that lock a key out. Zero
	// turns the Limiter off: nothing is counted, nothing locked.
	MaxFailures int
	// Lockout is the length of the first lockout; each further lockout of
	// the same key doubles, up to MaxGrowth times Lockout.
	Lockout time.Duration
}

// key is a fixed-size digest of a Limiter key.
type key [16]byte

func digest(s string) key {
	sum := sha256.Sum256([]byte(s))
	return key(sum[:16])
}

// counts is what is known of one key.
type counts struct {
	failures    int       // since the last lockout
	lockouts    int       // lockouts since the record was created
	last        time.Time // last failure
	lockedUntil time.Time
}

// rules are the arithmetic of a Policy, the same for a Limiter and for
// counts kept in the store.
type rules struct {
	policy  Policy
	forget  time.Duration
	maxLock time.Duration
}

func newRules(p Policy) rules {
	if p.Lockout <= 0 {
		p.MaxFailures = 0
	}
	return rules{policy: p, forget: p.Lockout * MaxGrowth, maxLock: p.Lockout * MaxGrowth}
}

func (r rules) enabled() bool { return r.policy.MaxFailures > 0 }

// stale reports whether c can be forgotten at now: neither a failure nor
// a lockout for r.forget.
func (r rules) stale(c counts, now time.Time) bool {
	return !now.Before(r.forgetAt(c))
}

// forgetAt is when c can be forgotten.
func (r rules) forgetAt(c counts) time.Time {
	quietSince := c.last
	if c.lockedUntil.After(quietSince) {
		quietSince = c.lockedUntil
	}
	return quietSince.Add(r.forget)
}

// lockedFor returns how much longer c is locked out at now, or zero.
func (r rules) lockedFor(c counts, now time.Time) time.Duration {
	if !r.enabled() || r.stale(c, now) || !now.Before(c.lockedUntil) {
		return 0
	}
	return c.lockedUntil.Sub(now)
}

// fail records in c a failure at now, starting afresh if c is stale. If
// it locks the key out, it returns the length of the lockout; otherwise
// zero. Failures during a lockout are not counted.
func (r rules) fail(c *counts, now time.Time) time.Duration {
	if r.stale(*c, now) {
		*c = counts{}
	}
	c.last = now
	if now.Before(c.lockedUntil) {
		return 0
	}
	c.failures++
	if c.failures < r.policy.MaxFailures {
		return 0
	}
	c.failures = 0
	c.lockouts++
	d := r.maxLock
	if c.lockouts <= 7 { // 2^6 = MaxGrowth
		d = min(r.policy.Lockout<<(c.lockouts-1), r.maxLock)
	}
	c.lockedUntil = now.Add(d)
	return d
}

type record struct {
	k key
	counts
}

type shard struct {
	mu  sync.Mutex
	m   map[key]*list.Element
	lru list.List // of *record, most recently failed at the front
}

// Limiter counts failures per key, in memory. It is safe for concurrent
// use.
type Limiter struct {
	rules
	now      func() time.Time
	perShard int
	shards   [numShards]shard
}

// NewLimiter returns a Limiter with the given policy that keeps at most
// capacity records (DefaultCapacity if zero or less), reading time from
// now.
func NewLimiter(p Policy, capacity int, now func() time.Time) *Limiter {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	l := &Limiter{
		rules:    newRules(p),
		now:      now,
		perShard: max(capacity/numShards, 1),
	}
	for i := range l.shards {
		l.shards[i].m = make(map[key]*list.Element)
	}
	return l
}

func (l *Limiter) shard(k key) *shard { return &l.shards[k[0]%numShards] }

// Locked returns how much longer key is locked out, or zero.
func (l *Limiter) Locked(keyName string) time.Duration {
	if !l.enabled() {
		return 0
	}
	k := digest(keyName)
	s := l.shard(k)
	now := l.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[k]
	if !ok {
		return 0
	}
	r := e.Value.(*record)
	if l.stale(r.counts, now) {
		s.remove(e)
		return 0
	}
	return l.lockedFor(r.counts, now)
}

// Fail records a failure of key. If it locks the key out, it returns the
// length of the lockout; otherwise zero.
func (l *Limiter) Fail(keyName string) time.Duration {
	if !l.enabled() {
		return 0
	}
	k := digest(keyName)
	s := l.shard(k)
	now := l.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var r *record
	if e, ok := s.m[k]; ok {
		r = e.Value.(*record)
		s.lru.MoveToFront(e)
	} else {
		if len(s.m) >= l.perShard {
			s.remove(s.lru.Back())
		}
		r = &record{k: k}
		s.m[k] = s.lru.PushFront(r)
	}
	return l.fail(&r.counts, now)
}

// Reset forgets key.
func (l *Limiter) Reset(keyName string) {
	if !l.enabled() {
		return
	}
	k := digest(keyName)
	s := l.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[k]; ok {
		s.remove(e)
	}
}

// Len returns the number of records kept.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

func (s *shard) remove(e *list.Element) {
	delete(s.m, e.Value.(*record).k)
	s.lru.Remove(e)
}
