package throttle

import (
	"context"
	"encoding/hex"
	"log/slog"
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
}

// storeTimeout bounds each call of the store, for the calls that have no
// request to take a deadline from.
const storeTimeout = 2 * time.Second

// sharedCounters keep the counts in the store: every replica reads and
// updates the same records, so that N replicas allow what one allows. A
// check of the limits (AllowClient, AccountLocked) is one read, a failure
// one short transaction, a successful login one delete. While the store
// fails, the replica falls back on counts of its own in memory.
type sharedCounters struct {
	records  Records
	rules    [numKinds]rules
	now      func() time.Time
	log      *slog.Logger
	fallback memoryCounters
}

// storeKey is the record key of k: its limit and a hash of its name, so
// that the store holds no user name or address.
func storeKey(k limitKey) string {
	d := digest(k.name)
	return k.kind.String() + ":" + hex.EncodeToString(d[:])
}

func countsOf(r store.FailureRecord) counts {
	return counts{failures: r.Failures, lockouts: r.Lockouts, last: r.LastFailure, lockedUntil: r.LockedUntil}
}

func (s *sharedCounters) locked(ctx context.Context, keys ...limitKey) []time.Duration {
	out := make([]time.Duration, len(keys))
	var names []string
	index := map[string]int{}
	for i, k := range keys {
		if s.rules[k.kind].enabled() {
			name := storeKey(k)
			index[name] = i
			names = append(names, name)
		}
	}
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
	now := s.now()
	for _, r := range recs {
		if i, ok := index[r.Key]; ok {
			out[i] = s.rules[keys[i].kind].lockedFor(countsOf(r), now)
		}
	}
	return out
}

func (s *sharedCounters) fail(ctx context.Context, k limitKey) time.Duration {
	rules := s.rules[k.kind]
	if !rules.enabled() {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	now := s.now()
	var d time.Duration
	_, err := s.records.UpdateFailures(ctx, storeKey(k), now, func(r store.FailureRecord) store.FailureRecord {
		c := countsOf(r)
		d = rules.fail(&c, now)
		return store.FailureRecord{Key: r.Key, Failures: c.failures, Lockouts: c.lockouts,
			LastFailure: c.last, LockedUntil: c.lockedUntil, ForgetAt: rules.forgetAt(c)}
	})
	if err != nil {
		s.log.WarnContext(ctx, "throttle: a failure cannot be counted in the store; counting it in this replica", "kind", k.kind.String(), "err", err)
		return s.fallback.fail(ctx, k)
	}
	return d
}

func (s *sharedCounters) reset(ctx context.Context, k limitKey) {
	if !s.rules[k.kind].enabled() {
		return
	}
	s.fallback.reset(ctx, k)
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := s.records.DeleteFailures(ctx, storeKey(k)); err != nil {
		s.log.WarnContext(ctx, "throttle: failures cannot be cleared in the store", "kind", k.kind.String(), "err", err)
	}
}
