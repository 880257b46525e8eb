package verify

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// KeyGenerations is a KeySource that tells when it drops or replaces a
// key: Generation changes then, and only after the key is gone.
// *jwks.Remote implements it.
type KeyGenerations interface {
	Generation() uint64
}

var _ KeyGenerations = (*jwks.Remote)(nil)

// MaxCacheSize bounds CachedOptions.Size.
const MaxCacheSize = 1 << 24

// Cached is a Verifier that remembers the tokens it accepted, so that a
// token presented again costs a SHA-256 of the token and a map look-up
// instead of a signature check. It is safe for concurrent use.
//
// What it remembers, and for how long:
//
//   - Entries are keyed by the SHA-256 of the token: the cache never holds
//     a token, and finding a second token with the key of a cached one
//     means finding a SHA-256 collision. The map the keys go into hashes
//     them again with a per-process random seed, so crafted keys cannot
//     make its buckets degenerate.
//   - Only accepted tokens are remembered; every refusal is checked
//     afresh each time.
//   - An entry is used strictly before the token's "exp", by the
//     Verifier's clock: the Verifier's Leeway, which lets a token be
//     accepted shortly after its exp, never extends an entry. A token that
//     is only accepted thanks to the Leeway is not cached at all.
//   - An entry is used only while the key source's Generation is the one
//     read before the token was verified: when the authorization server
//     removes (or replaces) a key, every entry is forgotten and the next
//     presentation of each token is verified against the new key set.
//   - At most Size entries are kept, whatever the number of distinct valid
//     tokens presented. When the cache is full an insertion evicts the
//     first entry, from the clock hand on, that can no longer be used
//     (expired, or of an old Generation) or was not hit since the hand
//     last passed it (the CLOCK algorithm, an approximation of
//     least-recently-used): a flood of tokens presented once evicts its
//     own entries before those of the tokens in steady use.
//
// The claims returned for a cached token are shared by every request that
// presents it: callers must treat them as read-only.
//
// A route that must not rely on an earlier verification (for instance
// before a live revocation check) calls VerifyUncached, which
// bearer.Options.NoCache selects.
type Cached struct {
	v      *Verifier
	gen    KeyGenerations
	shards []cacheShard
	mask   uint64
	size   int
}

// CachedOptions configures a Cached.
type CachedOptions struct {
	// Size is the largest number of tokens remembered, from 1 to
	// MaxCacheSize. An entry of an ordinary token (its decoded claims,
	// the SHA-256 key, the bookkeeping) takes about half a kilobyte:
	// 10,000 entries take about 5 MB.
	Size int
}

// NewCached returns a Cached in front of v. v's KeySource must implement
// KeyGenerations (*jwks.Remote does), or the cache could not forget the
// tokens of a removed key.
func NewCached(v *Verifier, opts CachedOptions) (*Cached, error) {
	if v == nil {
		return nil, errors.New("verify: nil Verifier")
	}
	gen, ok := v.keys.(KeyGenerations)
	if !ok {
		return nil, fmt.Errorf("verify: key source %T cannot report removed keys (KeyGenerations); no cache", v.keys)
	}
	if opts.Size < 1 || opts.Size > MaxCacheSize {
		return nil, fmt.Errorf("verify: cache size %d outside [1, %d]", opts.Size, MaxCacheSize)
	}
	// Shards keep concurrent requests from queueing on one lock; each holds
	// at least 64 entries so that eviction still has a choice.
	n := 1
	for n < 32 && opts.Size/(2*n) >= 64 {
		n *= 2
	}
	c := &Cached{v: v, gen: gen, shards: make([]cacheShard, n), mask: uint64(n - 1), size: opts.Size}
	per := opts.Size / n
	for i := range c.shards {
		c.shards[i].limit = per
		c.shards[i].entries = make(map[[sha256.Size]byte]*cacheEntry)
	}
	return c, nil
}

// Size is the largest number of entries the cache keeps.
func (c *Cached) Size() int { return c.size }

// Len is the number of entries cached, usable or not.
func (c *Cached) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.entries)
		s.mu.RUnlock()
	}
	return n
}

// CacheStats are counts of a Cached, for monitoring.
type CacheStats struct {
	// Hits counts tokens answered from the cache, Misses those verified
	// (whether accepted or not), since the cache was made.
	Hits, Misses uint64
	// Entries is the number of entries cached, usable or not (Len).
	Entries int
}

// Stats returns the cache's counts. It takes each shard's lock briefly,
// like Len.
func (c *Cached) Stats() CacheStats {
	st := CacheStats{Entries: c.Len()}
	for i := range c.shards {
		st.Hits += c.shards[i].hits.Load()
		st.Misses += c.shards[i].misses.Load()
	}
	return st
}

// Verify returns the claims of a token accepted earlier, if its entry may
// still be used, and otherwise verifies it with the Verifier (see
// Verifier.Verify) and remembers it if it is accepted. The claims must not
// be modified.
func (c *Cached) Verify(ctx context.Context, token string) (*claims.AccessToken, error) {
	if len(token) > c.v.maxSize {
		return nil, ErrTooLarge // before hashing a token of any size
	}
	key := sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
	// Read before verifying: see KeyGenerations and jwks.Remote.Generation.
	gen := c.gen.Generation()
	now := c.v.now().UnixNano()
	s := c.shard(&key)
	s.mu.RLock()
	e := s.entries[key]
	s.mu.RUnlock()
	if e != nil && e.usable(gen, now) {
		if !e.hit.Load() {
			e.hit.Store(true)
		}
		s.hits.Add(1)
		return e.claims, nil
	}
	s.misses.Add(1)
	cl, err := c.v.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	exp := cl.ExpiresAt.UnixNano() // the Verifier requires exp
	if now < exp {
		s.insert(&cacheEntry{key: key, claims: cl, exp: exp, gen: gen}, gen, now)
	}
	return cl, nil
}

// VerifyUncached verifies token with the Verifier, whether or not it is
// cached, and leaves the cache alone.
func (c *Cached) VerifyUncached(ctx context.Context, token string) (*claims.AccessToken, error) {
	return c.v.Verify(ctx, token)
}

func (c *Cached) shard(key *[sha256.Size]byte) *cacheShard {
	return &c.shards[binary.LittleEndian.Uint64(key[:8])&c.mask]
}

// cacheEntry is one accepted token. Only hit changes after insertion.
type cacheEntry struct {
	key    [sha256.Size]byte
	claims *claims.AccessToken
	exp    int64  // the token's exp, Unix nanoseconds
	gen    uint64 // the key source's Generation read before verification
	slot   int    // index in the shard's ring
	hit    atomic.Bool
}

func (e *cacheEntry) usable(gen uint64, now int64) bool {
	return e.gen == gen && now < e.exp
}

// cacheShard is a map of entries and the ring the CLOCK hand sweeps.
type cacheShard struct {
	mu      sync.RWMutex
	entries map[[sha256.Size]byte]*cacheEntry
	ring    []*cacheEntry
	hand    int
	limit   int
	// hits and misses count look-ups, for Stats; on the shard, next to
	// the lock every look-up takes anyway.
	hits, misses atomic.Uint64
	_            [64]byte // keeps neighbouring shards' locks off one cache line
}

// insert adds e, replacing an entry of the same key, or evicting one when
// the shard is full.
func (s *cacheShard) insert(e *cacheEntry, gen uint64, now int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.entries[e.key]; ok {
		e.slot = old.slot
	} else if len(s.ring) < s.limit {
		e.slot = len(s.ring)
		s.ring = append(s.ring, nil)
	} else {
		e.slot = s.victim(gen, now)
		delete(s.entries, s.ring[e.slot].key)
	}
	s.ring[e.slot] = e
	s.entries[e.key] = e
}

// victim returns the slot to reuse: the first entry from the hand on that
// is unusable or was not hit since the hand last passed it; the hand
// clears the hit marks it passes. It returns within two turns of the ring.
func (s *cacheShard) victim(gen uint64, now int64) int {
	for {
		i := s.hand
		s.hand = (s.hand + 1) % len(s.ring)
		e := s.ring[i]
		if !e.usable(gen, now) || !e.hit.Swap(false) {
			return i
		}
	}
}
