package verify_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

const (
	cacheIssuer   = "http://auth.test"
	cacheAudience = "search-api"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// testClock is a clock that moves only when told to.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(t0.UnixNano())
	return c
}

func (c *testClock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *testClock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// keySet is an authorization server's key set, served over HTTP, that a
// test changes at will.
type keySet struct {
	srv  *httptest.Server
	mu   sync.Mutex
	keys map[string]jwks.Key
}

func newKeySet(t testing.TB) *keySet {
	t.Helper()
	ks := &keySet{keys: map[string]jwks.Key{}}
	ks.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		ks.mu.Lock()
		set := jwks.Set{}
		for _, k := range ks.keys {
			set.Keys = append(set.Keys, k)
		}
		ks.mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(ks.srv.Close)
	return ks
}

func (ks *keySet) add(t testing.TB, kid, alg string, pub crypto.PublicKey) {
	t.Helper()
	k, err := jwks.FromPublicKey(kid, alg, pub)
	if err != nil {
		t.Fatal(err)
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.keys[kid] = k
}

func (ks *keySet) remove(kid string) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	delete(ks.keys, kid)
}

// countingKeys counts the key look-ups, that is the tokens verified rather
// than found in the cache.
type countingKeys struct {
	*jwks.Remote
	calls atomic.Int64
}

func (c *countingKeys) Key(ctx context.Context, kid string) (jwks.PublicKey, error) {
	c.calls.Add(1)
	return c.Remote.Key(ctx, kid)
}

// signer signs tokens of the test issuer with one key.
type signer struct {
	kid string
	key crypto.Signer
}

func (s signer) sign(jti string, exp time.Time) string {
	return tokentest.Sign(s.key, s.kid, claims.AccessToken{
		Issuer:    cacheIssuer,
		Subject:   "alice",
		Audience:  jwt.ClaimStrings{cacheAudience},
		ExpiresAt: jwt.NewNumericDate(exp),
		IssuedAt:  jwt.NewNumericDate(t0.Add(-time.Minute)),
		ID:        jti,
		ClientID:  "web",
		Scope:     "search",
	})
}

func edSigner(t testing.TB, ks *keySet, kid string) signer {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ks.add(t, kid, "EdDSA", pub)
	return signer{kid: kid, key: priv}
}

// cacheFixture is a Cached over a real jwks.Remote.
type cacheFixture struct {
	keys   *keySet
	remote *countingKeys
	clock  *testClock
	cache  *verify.Cached
	signer signer
}

func newCacheFixture(t testing.TB, size int) *cacheFixture {
	t.Helper()
	f := &cacheFixture{keys: newKeySet(t), clock: newTestClock()}
	f.signer = edSigner(t, f.keys, "k1")
	r, err := jwks.NewRemote(jwks.RemoteOptions{URL: f.keys.srv.URL, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.remote = &countingKeys{Remote: r}
	f.refresh(t)
	v, err := verify.New(f.remote, verify.Options{Issuer: cacheIssuer, Audience: cacheAudience, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if f.cache, err = verify.NewCached(v, verify.CachedOptions{Size: size}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *cacheFixture) refresh(t testing.TB) {
	t.Helper()
	if err := f.remote.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// verified presents token and reports whether it was verified (rather than
// found in the cache), failing the test if it is refused.
func (f *cacheFixture) verified(t testing.TB, token string) bool {
	t.Helper()
	before := f.remote.calls.Load()
	c, err := f.cache.Verify(context.Background(), token)
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if c.Subject != "alice" || c.ClientID != "web" || !c.HasScope("search") {
		t.Fatalf("claims = %+v", c)
	}
	return f.remote.calls.Load() != before
}

func TestCachedHitsUntilExp(t *testing.T) {
	exp := t0.Add(5 * time.Minute)
	// Each step moves the clock (relative to t0), presents the same token
	// and says whether it must be verified afresh.
	steps := []struct {
		name     string
		at       time.Duration
		verified bool
	}{
		{"first presentation", 0, true},
		{"again", 0, false},
		{"a minute later", time.Minute, false},
		{"a second before exp", 5*time.Minute - time.Second, false},
		{"a nanosecond before exp", 5*time.Minute - time.Nanosecond, false},
		// The Verifier's 30s leeway still accepts it, but the cache does
		// not serve it, nor keep it.
		{"at exp", 5 * time.Minute, true},
		{"past exp, within the leeway", 5*time.Minute + 10*time.Second, true},
	}
	f := newCacheFixture(t, 100)
	tok := f.signer.sign("jti-1", exp)
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f.clock.Set(t0.Add(st.at))
			if got := f.verified(t, tok); got != st.verified {
				t.Errorf("verified afresh = %v, want %v", got, st.verified)
			}
		})
	}
	t.Run("past the leeway", func(t *testing.T) {
		f.clock.Set(exp.Add(verify.DefaultLeeway + time.Second))
		if _, err := f.cache.Verify(context.Background(), tok); !errors.Is(err, verify.ErrExpired) {
			t.Fatalf("err = %v, want ErrExpired", err)
		}
	})
}

func TestCachedTokenAcceptedOnlyByLeewayIsNotCached(t *testing.T) {
	f := newCacheFixture(t, 100)
	f.clock.Set(t0.Add(time.Hour))
	tok := f.signer.sign("late", t0.Add(time.Hour-time.Second)) // exp a second ago
	for i := range 3 {
		if !f.verified(t, tok) {
			t.Fatalf("presentation %d served from the cache", i+1)
		}
	}
	if n := f.cache.Len(); n != 0 {
		t.Errorf("Len = %d, want 0", n)
	}
}

func TestCachedForgetsTokensOfARemovedKey(t *testing.T) {
	f := newCacheFixture(t, 100)
	other := edSigner(t, f.keys, "k2")
	f.refresh(t)
	exp := t0.Add(time.Hour)
	tok1, tok2 := f.signer.sign("one", exp), other.sign("two", exp)
	for _, tok := range []string{tok1, tok2, tok1, tok2} {
		f.verified(t, tok)
	}
	if f.verified(t, tok1) || f.verified(t, tok2) {
		t.Fatal("not cached")
	}

	t.Run("a key added leaves the cache alone", func(t *testing.T) {
		edSigner(t, f.keys, "k3")
		f.refresh(t)
		if f.verified(t, tok1) || f.verified(t, tok2) {
			t.Error("an added key emptied the cache")
		}
	})
	t.Run("a key removed", func(t *testing.T) {
		f.keys.remove("k2")
		f.refresh(t)
		if _, err := f.cache.Verify(context.Background(), tok2); !errors.Is(err, verify.ErrUnknownKey) {
			t.Errorf("token of the removed key: err = %v, want ErrUnknownKey", err)
		}
		// Every entry is forgotten: the other token is verified again,
		// and then cached again.
		if !f.verified(t, tok1) {
			t.Error("token of a remaining key served from a cache made with the old key set")
		}
		if f.verified(t, tok1) {
			t.Error("token of a remaining key not cached again")
		}
	})
	t.Run("a key replaced under the same kid", func(t *testing.T) {
		replaced := edSigner(t, f.keys, "k1") // new key material, same kid
		f.refresh(t)
		if _, err := f.cache.Verify(context.Background(), tok1); !errors.Is(err, verify.ErrSignature) {
			t.Errorf("token of the replaced key: err = %v, want ErrSignature", err)
		}
		if !f.verified(t, replaced.sign("new", exp)) {
			t.Error("a new token came from the cache")
		}
	})
}

func TestCachedRefusalsAreNotCached(t *testing.T) {
	f := newCacheFixture(t, 100)
	stranger := edSigner(t, newKeySet(t), "k1") // same kid, unknown key
	forged := stranger.sign("forged", t0.Add(time.Hour))
	for range 3 {
		before := f.remote.calls.Load()
		if _, err := f.cache.Verify(context.Background(), forged); !errors.Is(err, verify.ErrSignature) {
			t.Fatalf("err = %v, want ErrSignature", err)
		}
		if f.remote.calls.Load() == before {
			t.Fatal("a refusal was answered from the cache")
		}
	}
	if _, err := f.cache.Verify(context.Background(), "a.b"); !errors.Is(err, verify.ErrMalformed) {
		t.Errorf("err = %v, want ErrMalformed", err)
	}
	huge := make([]byte, verify.DefaultMaxTokenSize+1)
	if _, err := f.cache.Verify(context.Background(), string(huge)); !errors.Is(err, verify.ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
	if n := f.cache.Len(); n != 0 {
		t.Errorf("Len = %d after refusals only, want 0", n)
	}
}

func TestCachedVerifyUncached(t *testing.T) {
	f := newCacheFixture(t, 100)
	tok := f.signer.sign("live", t0.Add(time.Hour))
	f.verified(t, tok)
	for range 2 {
		before := f.remote.calls.Load()
		c, err := f.cache.VerifyUncached(context.Background(), tok)
		if err != nil || c.ID != "live" {
			t.Fatalf("VerifyUncached = %+v, %v", c, err)
		}
		if f.remote.calls.Load() == before {
			t.Fatal("VerifyUncached answered from the cache")
		}
	}
	f.keys.remove("k1")
	edSigner(t, f.keys, "other")
	f.refresh(t)
	if _, err := f.cache.VerifyUncached(context.Background(), tok); !errors.Is(err, verify.ErrUnknownKey) {
		t.Errorf("err = %v, want ErrUnknownKey", err)
	}
}

func TestCachedIsBounded(t *testing.T) {
	for _, size := range []int{1, 64, 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			f := newCacheFixture(t, size)
			exp := t0.Add(time.Hour)
			hot := f.signer.sign("hot", exp)
			f.verified(t, hot)
			// A flood of distinct valid tokens, each presented once, the
			// hot token presented between them.
			for i := range 2*size + 50 {
				f.verified(t, f.signer.sign(fmt.Sprint("flood-", i), exp))
				if n := f.cache.Len(); n > size {
					t.Fatalf("Len = %d after %d tokens, over the size %d", n, i+1, size)
				}
				if size > 1 && f.verified(t, hot) {
					t.Fatalf("the token in steady use was evicted by the flood (token %d)", i+1)
				}
			}
			if f.cache.Size() != size {
				t.Errorf("Size = %d", f.cache.Size())
			}
		})
	}
}

func TestCachedEvictsUnusableEntriesFirst(t *testing.T) {
	f := newCacheFixture(t, 64) // one shard of 64 entries
	long := f.signer.sign("long", t0.Add(time.Hour))
	f.verified(t, long) // the first slot, under the clock hand
	f.verified(t, long) // and hit
	for i := range 63 {
		f.verified(t, f.signer.sign(fmt.Sprint("short-", i), t0.Add(time.Minute)))
	}
	f.clock.Add(2 * time.Minute) // every entry but the first has expired
	// The hand starts on the live entry. Plain CLOCK would give it a
	// second chance, then give one to every expired entry, and come back
	// to evict it; expired entries go first.
	f.verified(t, f.signer.sign("new", t0.Add(time.Hour)))
	if f.verified(t, long) {
		t.Error("a live entry was evicted while expired ones remained")
	}
}

func TestCachedConcurrent(t *testing.T) {
	f := newCacheFixture(t, 64)
	exp := t0.Add(time.Hour)
	toks := make([]string, 200)
	for i := range toks {
		toks[i] = f.signer.sign(fmt.Sprint("c-", i), exp)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 400 {
				tok := toks[(g*31+i)%len(toks)]
				c, err := f.cache.Verify(context.Background(), tok)
				if err != nil || c.Subject != "alice" {
					t.Errorf("Verify = %+v, %v", c, err)
					return
				}
			}
		})
	}
	// Meanwhile another key comes and goes, which empties the cache.
	other, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() {
		for i := range 6 {
			if i%2 == 0 {
				f.keys.add(t, "k9", "EdDSA", other)
			} else {
				f.keys.remove("k9")
			}
			if err := f.remote.Refresh(context.Background()); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if n := f.cache.Len(); n > 64 {
		t.Errorf("Len = %d, over the size", n)
	}
}

func TestCachedHitDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	f := newCacheFixture(t, 100)
	tok := f.signer.sign("alloc", t0.Add(time.Hour))
	f.verified(t, tok)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := f.cache.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a cache hit allocates %.1f times", allocs)
	}
}

// staticKeys is a key source that cannot report removed keys.
type staticKeys map[string]jwks.PublicKey

func (s staticKeys) Key(_ context.Context, kid string) (jwks.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return jwks.PublicKey{}, jwks.ErrUnknownKey
}

func TestNewCachedValidates(t *testing.T) {
	f := newCacheFixture(t, 1)
	good, err := verify.New(f.remote, verify.Options{Issuer: cacheIssuer, Audience: cacheAudience})
	if err != nil {
		t.Fatal(err)
	}
	static, err := verify.New(staticKeys{}, verify.Options{Issuer: cacheIssuer, Audience: cacheAudience})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		v    *verify.Verifier
		size int
	}{
		{"nil verifier", nil, 10},
		{"zero size", good, 0},
		{"negative size", good, -1},
		{"too large", good, verify.MaxCacheSize + 1},
		{"key source without generations", static, 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := verify.NewCached(tt.v, verify.CachedOptions{Size: tt.size}); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// BenchmarkCachedVerify measures a cache hit (the steady state of a client
// that reuses its token) and a miss (a token seen for the first time),
// with the RS256 keys the authorization server signs with by default.
func BenchmarkCachedVerify(b *testing.B) {
	ks := newKeySet(b)
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	ks.add(b, "rsa", "RS256", &priv.PublicKey)
	s := signer{kid: "rsa", key: priv}
	r, err := jwks.NewRemote(jwks.RemoteOptions{URL: ks.srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	clock := func() time.Time { return t0 }
	v, err := verify.New(r, verify.Options{Issuer: cacheIssuer, Audience: cacheAudience, Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	c, err := verify.NewCached(v, verify.CachedOptions{Size: 10000})
	if err != nil {
		b.Fatal(err)
	}
	tok := s.sign("bench", t0.Add(time.Hour))
	ctx := context.Background()
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hit/parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
