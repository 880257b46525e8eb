package throttle

import (
	"context"
	"encoding/hex"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// kind names a limit: its policy, and the namespace of its keys.
type kind int

const (
	kindAccount kind = iota
	kindClient
	kindAddress
	numKinds
)

var kindNames = [numKinds]string{"account", "client", "address"}

func (k kind) String() string { return kindNames[k] }

// limitKey is one key of one limit.
type limitKey struct {
	kind kind
	name string
}

// counters count failures per limit and key: in memory (each replica its
// own), or in the store, shared by every replica that uses it.
type counters interface {
	// locked returns how much longer each of keys is locked out, zero
	// for those that are not.
	locked(ctx context.Context, keys ...limitKey) []time.Duration
	// fail records a failure of k; if it locks k out, it returns the
	// length of the lockout, otherwise zero.
	fail(ctx context.Context, k limitKey) time.Duration
	// reset forgets k.
	reset(ctx context.Context, k limitKey)
}

// memoryCounters are a Limiter per limit.
type memoryCounters [numKinds]*Limiter

func newMemoryCounters(policies [numKinds]Policy, capacity int, now func() time.Time) memoryCounters {
	var m memoryCounters
	for k, p := range policies {
		m[k] = NewLimiter(p, capacity, now)
	}
	return m
}

func (m memoryCounters) locked(_ context.Context, keys ...limitKey) []time.Duration {
	out := make([]time.Duration, len(keys))
	for i, k := range keys {
		out[i] = m[k.kind].Locked(k.name)
	}
	return out
}

func (m memoryCounters) fail(_ context.Context, k limitKey) time.Duration {
	return m[k.kind].Fail(k.name)
}

func (m memoryCounters) reset(_ context.Context, k limitKey) { m[k.kind].Reset(k.name) }

// Records is the store failure counts are kept in when replicas share
// them. *sqlstore.Store implements it.
type Records interface {
	GetFailures(ctx context.Context, keys []string) ([]store.FailureRecord, error)
	UpdateFailures(ctx context.Context, key string, now time.Time, update func(store.FailureRecord) store.FailureRecord) (store.FailureRecord, error)
	DeleteFailures(ctx context.Context, key string) error
	ListFailures(ctx context.Context, since, now time.Time) ([]store.FailureRecord, error)
}

// storeTimeout bounds each call of the store, for the calls that have no
// request to take a deadline from.
const storeTimeout = 2 * time.Second

// sharedCounters keep the counts in the store: every replica reads and
// updates the same records, so that N replicas allow what one allows. A
// check of an account (a password login, which costs a bcrypt anyway) is
// one read; a check of a client or an address, made on every request,
// reads only the keys that have failed somewhere: the replica knows them
// (known), at once for the failures it counts itself and within a second
// for those the others count. A failure is one short transaction, a
// successful login one delete. While the store fails, the replica falls
// back on counts of its own in memory.
type sharedCounters struct {
	records  Records
	now      func() time.Time
	log      *slog.Logger
	fallback memoryCounters
	known    *knownKeys
	// syncEvery is how often the failures counted since the last look
	// are listed.
	syncEvery time.Duration
}

// storeKey is the record key of k: its limit and a hash of its name, so
// that the store holds no user name or address.
func storeKey(k limitKey) string {
	d := digest(k.name)
	return k.kind.String() + ":" + hex.EncodeToString(d[:])
}

// rules returns the rules of a limit: those of the fallback's counts,
// made from the same policy.
func (s *sharedCounters) rules(k kind) rules { return s.fallback[k].rules }

func countsOf(r store.FailureRecord) counts {
	return counts{failures: r.Failures, lockouts: r.Lockouts, last: r.LastFailure, lockedUntil: r.LockedUntil}
}

func (s *sharedCounters) locked(ctx context.Context, keys ...limitKey) []time.Duration {
	out := make([]time.Duration, len(keys))
	var names []string
	index := map[string]int{}
	for i, k := range keys {
		if s.rules(k.kind).enabled() {
			name := storeKey(k)
			index[name] = i
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return out
	}
	now := s.now()
	names = slices.DeleteFunc(names, func(name string) bool {
		return keys[index[name]].kind != kindAccount && !s.known.mayBeLocked(name, now)
	})
	if len(names) == 0 {
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	recs, err := s.records.GetFailures(ctx, names)
	if err != nil {
		s.log.WarnContext(ctx, "throttle: the shared failure counts cannot be read; using this replica's", "err", err)
		return s.fallback.locked(ctx, keys...)
	}
	for _, r := range recs {
		if i, ok := index[r.Key]; ok {
			out[i] = s.rules(keys[i].kind).lockedFor(countsOf(r), now)
		}
	}
	return out
}

func (s *sharedCounters) fail(ctx context.Context, k limitKey) time.Duration {
	rules := s.rules(k.kind)
	if !rules.enabled() {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	now := s.now()
	var d time.Duration
	rec, err := s.records.UpdateFailures(ctx, storeKey(k), now, func(r store.FailureRecord) store.FailureRecord {
		c := countsOf(r)
		d = rules.fail(&c, now)
		return store.FailureRecord{Key: r.Key, Failures: c.failures, Lockouts: c.lockouts,
			LastFailure: c.last, LockedUntil: c.lockedUntil, ForgetAt: rules.forgetAt(c)}
	})
	if err != nil {
		s.log.WarnContext(ctx, "throttle: a failure cannot be counted in the store; counting it in this replica", "kind", k.kind.String(), "err", err)
		return s.fallback.fail(ctx, k)
	}
	s.known.add(rec.Key, rec.ForgetAt)
	return d
}

// run lists, every syncEvery until ctx is done, the failures counted
// since the last look (all of them the first time), so that the replica
// knows which keys have failed anywhere.
func (s *sharedCounters) run(ctx context.Context) {
	var since time.Time // zero: every record
	failing := false
	for {
		start, wait := s.now(), s.syncEvery
		lctx, cancel := context.WithTimeout(ctx, storeTimeout)
		recs, err := s.records.ListFailures(lctx, since, start)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			// Until a complete list comes, every check reads the store.
			s.known.stale()
			since = time.Time{}
			if !failing {
				s.log.Warn("throttle: the failures counted by other replicas cannot be listed; reading the counts at every check", "err", err)
			}
			failing = true
		case !s.known.sync(recs, since.IsZero(), start):
			// Too many keys failing to keep: every check reads the
			// store, and the next complete list waits a while.
			since, wait, failing = time.Time{}, max(wait, overflowRetry), false
		default:
			// Again the last moments, for failures whose transaction
			// was still open, and for clocks that differ between
			// replicas.
			since, failing = start.Add(-syncOverlap), false
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (s *sharedCounters) reset(ctx context.Context, k limitKey) {
	if !s.rules(k.kind).enabled() {
		return
	}
	s.fallback.reset(ctx, k)
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := s.records.DeleteFailures(ctx, storeKey(k)); err != nil {
		s.log.WarnContext(ctx, "throttle: failures cannot be cleared in the store", "kind", k.kind.String(), "err", err)
	}
}

// Syncing the keys known to have failed.
const (
	// DefaultSyncEvery is how often a replica lists the failures the
	// others counted, when Options.SyncEvery is zero: a key that began to
	// fail at another replica is read at every check here within it.
	DefaultSyncEvery = time.Second
	// syncOverlap is how far back each list reaches before the previous
	// one began.
	syncOverlap = 5 * time.Second
	// maxKnown bounds the keys known to have failed; past it every check
	// reads the store.
	maxKnown = 3 * DefaultCapacity
	// overflowRetry is how long a replica that knew too many failing keys
	// waits before it lists them all again.
	overflowRetry = 30 * time.Second
)

// knownKeys are the record keys known to have failed, with when their
// records are forgotten. Until the first complete list, after a failed
// one, and past maxKnown keys, it is not trusted, and every key may be
// locked.
type knownKeys struct {
	mu      sync.Mutex
	m       map[string]time.Time
	trusted bool
}

func newKnownKeys() *knownKeys { return &knownKeys{m: map[string]time.Time{}} }

// mayBeLocked reports whether key may have a record: it is known to have
// failed and not been forgotten, or the set is not trusted.
func (k *knownKeys) mayBeLocked(key string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	forget, ok := k.m[key]
	return !k.trusted || (ok && now.Before(forget))
}

// add records a failure of key counted here.
func (k *knownKeys) add(key string, forgetAt time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if forgetAt.After(k.m[key]) {
		k.m[key] = forgetAt
	}
}

// sync merges listed records; complete says the list holds every record.
// It returns false if there are too many keys to keep: the set is then
// emptied and not trusted.
func (k *knownKeys) sync(recs []store.FailureRecord, complete bool, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for key, forget := range k.m {
		if !now.Before(forget) {
			delete(k.m, key)
		}
	}
	for _, r := range recs {
		if r.ForgetAt.After(k.m[r.Key]) {
			k.m[r.Key] = r.ForgetAt
		}
	}
	if len(k.m) > maxKnown {
		k.trusted = false
		clear(k.m)
		return false
	}
	if complete {
		k.trusted = true
	}
	return true
}

// stale stops trusting the set until the next complete list.
func (k *knownKeys) stale() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.trusted = false
}
