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

type record struct {
	k           key
	failures    int       // since the last lockout
	lockouts    int       // lockouts since the record was created
	last        time.Time // last failure
	lockedUntil time.Time
}

type shard struct {
	mu  sync.Mutex
	m   map[key]*list.Element
	lru list.List // of *record, most recently failed at the front
}

// Limiter counts failures per key. It is safe for concurrent use.
type Limiter struct {
	policy   Policy
	forget   time.Duration
	maxLock  time.Duration
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
	if p.Lockout <= 0 {
		p.MaxFailures = 0
	}
	l := &Limiter{
		policy:   p,
		forget:   p.Lockout * MaxGrowth,
		maxLock:  p.Lockout * MaxGrowth,
		now:      now,
		perShard: max(capacity/numShards, 1),
	}
	for i := range l.shards {
		l.shards[i].m = make(map[key]*list.Element)
	}
	return l
}

func (l *Limiter) enabled() bool { return l.policy.MaxFailures > 0 }

func (l *Limiter) shard(k key) *shard { return &l.shards[k[0]%numShards] }

// stale reports whether r can be forgotten at now: neither a failure nor
// a lockout for l.forget.
func (l *Limiter) stale(r *record, now time.Time) bool {
	quietSince := r.last
	if r.lockedUntil.After(quietSince) {
		quietSince = r.lockedUntil
	}
	return now.Sub(quietSince) >= l.forget
}

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
	if l.stale(r, now) {
		s.remove(e)
		return 0
	}
	if now.Before(r.lockedUntil) {
		return r.lockedUntil.Sub(now)
	}
	return 0
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
		if l.stale(r, now) {
			*r = record{k: k}
		}
	} else {
		if len(s.m) >= l.perShard {
			s.remove(s.lru.Back())
		}
		r = &record{k: k}
		s.m[k] = s.lru.PushFront(r)
	}
	r.last = now
	if now.Before(r.lockedUntil) {
		return 0
	}
	r.failures++
	if r.failures < l.policy.MaxFailures {
		return 0
	}
	r.failures = 0
	r.lockouts++
	d := l.maxLock
	if r.lockouts <= 7 { // 2^6 = MaxGrowth
		d = min(l.policy.Lockout<<(r.lockouts-1), l.maxLock)
	}
	r.lockedUntil = now.Add(d)
	return d
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
