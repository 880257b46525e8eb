package bench

import (
	"context"
	"errors"
	"runtime"

	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// CacheBytesPerToken returns the heap, in bytes, that one entry of the
// resource server's verified-token cache (verify.Cached, as
// --token-cache-size builds it) takes, with tokens as the authorization
// server at issuer signs them: the live heap after verifying every token
// through a cache with room for them all, less the live heap before,
// divided by the number of tokens. The key set is fetched before the first
// reading, so only the entries are counted.
func CacheBytesPerToken(ctx context.Context, issuer, audience string, tokens []string) (float64, error) {
	if len(tokens) == 0 {
		return 0, errors.New("bench: no tokens")
	}
	keys, err := jwks.NewRemote(jwks.RemoteOptions{URL: issuer + "/.well-known/jwks.json", Issuer: issuer})
	if err != nil {
		return 0, err
	}
	if err := keys.Refresh(ctx); err != nil {
		return 0, err
	}
	v, err := verify.New(keys, verify.Options{Issuer: issuer, Audience: audience})
	if err != nil {
		return 0, err
	}
	// Room for four times the tokens: the cache is sharded, each shard
	// bounded by its share of Size, and none may evict.
	c, err := verify.NewCached(v, verify.CachedOptions{Size: 4 * len(tokens)})
	if err != nil {
		return 0, err
	}
	before := liveHeap()
	for _, tok := range tokens {
		if _, err := c.Verify(ctx, tok); err != nil {
			return 0, err
		}
	}
	if c.Len() != len(tokens) {
		return 0, errors.New("bench: the tokens are not all distinct, or the cache evicted some")
	}
	after := liveHeap()
	runtime.KeepAlive(c)
	return float64(after-before) / float64(len(tokens)), nil
}

// liveHeap returns the bytes of the heap's live objects, after a
// collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
