package signing_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

func TestRotationDue(t *testing.T) {
	const period = 2 * time.Hour
	key := func(id string, created, activates time.Duration) store.SigningKey {
		return store.SigningKey{ID: id, Algorithm: signing.EdDSA, CreatedAt: t0.Add(created), ActivatesAt: t0.Add(activates)}
	}
	tests := []struct {
		name    string
		keys    []store.SigningKey
		now     time.Duration
		wantDue bool
		wantKid string
	}{
		{"no keys", nil, 0, false, ""},
		{"active key younger than the period", []store.SigningKey{key("a", 0, 0)}, period - time.Nanosecond, false, ""},
		{"active key exactly the period old", []store.SigningKey{key("a", 0, 0)}, period, true, "a"},
		{"active key older than the period", []store.SigningKey{key("a", 0, 0)}, 5 * period, true, "a"},
		{"age counts from creation, not activation", []store.SigningKey{key("a", 0, time.Hour)}, period, true, "a"},
		{"a newer key is waiting to activate", []store.SigningKey{key("a", 0, 0), key("b", period, period+10*time.Minute)}, period + time.Minute, false, ""},
		{"the newer key has activated and is young", []store.SigningKey{key("a", 0, 0), key("b", period, period+10*time.Minute)}, period + 11*time.Minute, false, ""},
		{"the newer key has activated and is old", []store.SigningKey{key("a", 0, 0), key("b", period, period+10*time.Minute)}, 2 * period, true, "b"},
		{"no key active yet", []store.SigningKey{key("a", 0, time.Hour)}, 30 * time.Minute, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			active, dueAt, due := signing.RotationDue(tt.keys, t0.Add(tt.now), period, ttl)
			if due != tt.wantDue {
				t.Fatalf("due = %v, want %v", due, tt.wantDue)
			}
			if !due {
				return
			}
			if active.ID != tt.wantKid {
				t.Errorf("active = %s, want %s", active.ID, tt.wantKid)
			}
			if want := active.CreatedAt.Add(period); !dueAt.Equal(want) {
				t.Errorf("due at %s, want %s", dueAt, want)
			}
		})
	}
}

func TestNewRotatorRejectsBadOptions(t *testing.T) {
	st := newMemStore()
	for _, opts := range []signing.RotatorOptions{
		{},
		{Period: -time.Hour},
		{Period: time.Hour, ActivateAfter: -time.Minute},
	} {
		if _, err := signing.NewRotator(onceStore{st, &sync.Map{}}, opts); err == nil {
			t.Errorf("NewRotator(%+v) succeeded", opts)
		}
	}
}

// onceStore adds ClaimOnce to a memStore.
type onceStore struct {
	*memStore
	claimed *sync.Map
}

var _ signing.RotationStore = onceStore{}

func (s onceStore) ClaimOnce(_ context.Context, name string, _ time.Time) (bool, error) {
	_, loaded := s.claimed.LoadOrStore(name, true)
	return !loaded, nil
}

// jwksCache is a relying party that fetches the JWKS and keeps it for
// maxAge, as the JWKS's Cache-Control tells it to, and never fetches early
// for an unknown kid: the strictest verifier a rotation must satisfy. It
// fetches from each source in turn, as from replicas behind a load
// balancer.
type jwksCache struct {
	sources   []func() []byte
	maxAge    time.Duration
	fetches   int
	doc       []byte
	fetchedAt time.Time
}

func (c *jwksCache) get(now time.Time) []byte {
	if c.doc == nil || !now.Before(c.fetchedAt.Add(c.maxAge)) {
		c.doc, c.fetchedAt = c.sources[c.fetches%len(c.sources)](), now
		c.fetches++
	}
	return c.doc
}

// TestScheduledRotationNeverFailsVerification runs two replicas, each with
// a keyring and a rotator, on one SQLite file with a short rotation period
// and an injected clock, for several periods. Every step both replicas
// check the schedule at the same moment, reload their keys and sign a
// token, and a relying party that caches the JWKS for its max-age verifies
// every token that has not expired yet. No verification may fail, each
// period gets exactly one new key, and retired keys are removed once their
// last token has expired.
func TestScheduledRotationNeverFailsVerification(t *testing.T) {
	const (
		period        = 110 * time.Minute // not a multiple of the JWKS refetch interval
		activateAfter = 10 * time.Minute
		maxAge        = 5 * time.Minute // the JWKS's Cache-Control max-age
		step          = 2 * time.Minute // also the keyrings' reload interval
		periods       = 4
	)
	ctx := context.Background()
	clk := newClock(t0)
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	type replica struct {
		keyring *signing.Keyring
		rotator *signing.Rotator
	}
	var (
		mu      sync.Mutex
		created []store.SigningKey // by any rotator
	)
	replicas := make([]replica, 2)
	for i := range replicas {
		kr := signing.NewKeyring(st, signing.Options{Algorithm: signing.EdDSA, TokenTTL: ttl, Now: clk.Now})
		if err := kr.Load(ctx); err != nil {
			t.Fatal(err)
		}
		rot, err := signing.NewRotator(st, signing.RotatorOptions{
			Period: period, ActivateAfter: activateAfter, Algorithm: signing.EdDSA, TokenTTL: ttl, Now: clk.Now,
			Rotated: func(ctx context.Context, k store.SigningKey) {
				mu.Lock()
				created = append(created, k)
				mu.Unlock()
				// As the server does: publish the new key here at once.
				if err := kr.Load(ctx); err != nil {
					t.Errorf("reload after rotation: %v", err)
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		replicas[i] = replica{kr, rot}
	}
	rp := &jwksCache{sources: []func() []byte{replicas[0].keyring.JWKS, replicas[1].keyring.JWKS}, maxAge: maxAge}

	type issued struct {
		token string
		exp   time.Time
	}
	var outstanding []issued
	signers := map[string]bool{}
	verified := 0
	// The run ends once the last new key has signed for a while.
	end := t0.Add(periods*period + activateAfter + 3*step)
	for now := clk.Now(); now.Before(end); now = clk.Now() {
		var wg sync.WaitGroup
		for _, r := range replicas {
			wg.Go(func() {
				if _, _, err := r.rotator.Check(ctx); err != nil {
					t.Errorf("%s: Check: %v", now, err)
				}
			})
		}
		wg.Wait()
		for _, r := range replicas {
			if err := r.keyring.Load(ctx); err != nil {
				t.Fatalf("%s: Load: %v", now, err)
			}
			tok := mustSign(t, r.keyring, now)
			signers[kidOf(t, tok)] = true
			outstanding = append(outstanding, issued{tok, now.Add(ttl)})
		}
		doc := rp.get(now)
		live := outstanding[:0]
		for _, o := range outstanding {
			if !now.Before(o.exp) {
				continue
			}
			live = append(live, o)
			if _, err := verifyWithJWKS(doc, o.token, signing.EdDSA, now); err != nil {
				t.Fatalf("at %s a token of key %s, valid until %s, does not verify against the JWKS fetched at %s (kids %v): %v",
					now.Sub(t0), kidOf(t, o.token), o.exp.Sub(t0), rp.fetchedAt.Sub(t0), jwksKids(t, doc), err)
			}
			verified++
		}
		outstanding = live
		clk.Set(now.Add(step))
	}
	t.Logf("%d verifications, %d keys signed", verified, len(signers))

	if len(created) != periods {
		t.Fatalf("%d keys created by the schedule, want one per period: %d", len(created), periods)
	}
	for i, k := range created {
		want := t0.Add(time.Duration(i+1) * period)
		if k.CreatedAt.Before(want) || !k.CreatedAt.Before(want.Add(step)) {
			t.Errorf("key %d created at %s, want within a step of %s", i, k.CreatedAt.Sub(t0), want.Sub(t0))
		}
		if got := k.ActivatesAt.Sub(k.CreatedAt); got != activateAfter {
			t.Errorf("key %d activates %s after its creation, want %s", i, got, activateAfter)
		}
		if !signers[k.ID] {
			t.Errorf("key %d (%s) never signed", i, k.ID)
		}
	}
	if len(signers) != periods+1 {
		t.Errorf("%d keys signed tokens, want %d", len(signers), periods+1)
	}
	keys, err := st.ListSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// One period after the last rotation only the active key and the one
	// it replaced can still be needed; older ones are deleted on reload.
	if len(keys) > 2 {
		var ids []string
		for _, k := range signing.Describe(keys, clk.Now(), ttl) {
			ids = append(ids, fmt.Sprintf("%s(%s)", k.ID, k.State))
		}
		t.Errorf("%d keys left in the store, want at most 2: %v", len(keys), ids)
	}
}

// TestRotatorClaimsOncePerKey has many rotators check at once on one store,
// as many replicas would: exactly one of them creates a key.
func TestRotatorClaimsOncePerKey(t *testing.T) {
	ctx := context.Background()
	clk := newClock(t0)
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := signing.NewKeyring(st, signing.Options{Algorithm: signing.EdDSA, Now: clk.Now}).Load(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(time.Hour))

	const n = 8
	var wg sync.WaitGroup
	results := make(chan bool, n)
	for range n {
		rot, err := signing.NewRotator(st, signing.RotatorOptions{Period: time.Hour, ActivateAfter: time.Minute, Algorithm: signing.EdDSA, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			_, ok, err := rot.Check(ctx)
			if err != nil {
				t.Errorf("Check: %v", err)
			}
			results <- ok
		})
	}
	wg.Wait()
	close(results)
	rotated := 0
	for ok := range results {
		if ok {
			rotated++
		}
	}
	keys, err := st.ListSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rotated != 1 || len(keys) != 2 {
		t.Errorf("%d rotators created a key and the store holds %d keys; want 1 and 2", rotated, len(keys))
	}
}
