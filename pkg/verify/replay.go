package verify

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// DefaultReplayCacheSize is the size of the replay cache a DPoPVerifier
// makes itself: 65,536 keys, about 8 MB, which holds every proof of a
// minute (DefaultDPoPMaxAge) at a thousand requests a second.
const DefaultReplayCacheSize = 1 << 16

// MemoryReplayCache is a ReplayCache in memory, bounded: it remembers at
// most its size of keys, each until it expires. When it is full, the
// oldest key goes first, even unexpired: a flood of more proofs than its
// size within their lifetime (a minute) could make an early proof
// acceptable again, which is why its size should exceed the proofs a
// process accepts in MaxAge. Keys are kept as SHA-256 hashes. It is safe
// for concurrent use.
type MemoryReplayCache struct {
	shards []replayShard
	now    func() time.Time
}

type replayShard struct {
	mu      sync.Mutex
	expires map[[sha256.Size]byte]int64
	ring    [][sha256.Size]byte // insertion order, oldest at head
	head    int
	limit   int
}

// NewReplayCache returns a MemoryReplayCache of at most size keys
// (DefaultReplayCacheSize if size < 1), reading the time from now
// (time.Now if nil).
func NewReplayCache(size int, now func() time.Time) *MemoryReplayCache {
	if size < 1 {
		size = DefaultReplayCacheSize
	}
	if now == nil {
		now = time.Now
	}
	n := 1
	for n < 16 && size/(2*n) >= 64 {
		n *= 2
	}
	c := &MemoryReplayCache{shards: make([]replayShard, n), now: now}
	for i := range c.shards {
		c.shards[i] = replayShard{expires: map[[sha256.Size]byte]int64{}, limit: max(size/n, 1)}
	}
	return c
}

// UseOnce reports whether key is new (or expired), and remembers it
// until expiresAt.
func (c *MemoryReplayCache) UseOnce(_ context.Context, key string, expiresAt time.Time) (bool, error) {
	h := sha256.Sum256([]byte(key))
	s := &c.shards[binary.LittleEndian.Uint64(h[:8])%uint64(len(c.shards))]
	now := c.now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	if exp, ok := s.expires[h]; ok && now < exp {
		return false, nil
	}
	if _, ok := s.expires[h]; !ok {
		if len(s.ring) < s.limit {
			s.ring = append(s.ring, h)
		} else {
			delete(s.expires, s.ring[s.head])
			s.ring[s.head] = h
			s.head = (s.head + 1) % s.limit
		}
	}
	s.expires[h] = expiresAt.UnixNano()
	return true, nil
}

// Len is how many keys the cache holds, expired or not.
func (c *MemoryReplayCache) Len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.expires)
		s.mu.Unlock()
	}
	return n
}
