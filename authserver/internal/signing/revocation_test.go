package signing_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/signing"
)

// revoke marks the stored key id revoked at at.
func (s *memStore) revoke(id string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[id]
	k.RevokedAt = at
	s.keys[id] = k
}

// reload loads k, failing t on error.
func reload(t *testing.T, k *signing.Keyring) {
	t.Helper()
	if err := k.Load(context.Background()); err != nil {
		t.Fatalf("Load: %v", err)
	}
}

// TestRevokedActiveKeyHandsOverAtOnce: when the key that signs is revoked,
// it leaves the key set and stops signing at once, its tokens no longer
// verify, and the key published to succeed it signs from then on, without
// waiting for its activation time.
func TestRevokedActiveKeyHandsOverAtOnce(t *testing.T) {
	clk := newClock(t0)
	ks := newMemStore(
		fixture(t, "ES256", "old", t0.Add(-48*time.Hour)),
		fixture(t, "EdDSA", "active", t0.Add(-10*time.Minute)),
		fixture(t, "RS256", "next", t0.Add(10*time.Minute)),
	)
	var revoked []string
	k := signing.NewKeyring(ks, signing.Options{TokenTTL: ttl, Now: clk.Now, Revoked: func(kid string) { revoked = append(revoked, kid) }})
	reload(t, k)
	before := mustSign(t, k, t0)
	if kidOf(t, before) != "active" {
		t.Fatalf("signed by %q before the revocation", kidOf(t, before))
	}

	ks.revoke("active", t0.Add(time.Minute))
	clk.Set(t0.Add(time.Minute))
	reload(t, k)
	after := mustSign(t, k, clk.Now())
	if kid := kidOf(t, after); kid != "next" {
		t.Fatalf("signed by %q after the revocation, want the key published to succeed it", kid)
	}
	if kids := jwksKids(t, k.JWKS()); slices.Contains(kids, "active") || !slices.Contains(kids, "next") {
		t.Fatalf("JWKS after the revocation: %v", kids)
	}
	if err := verifyWithKeyfunc(k, before); err == nil {
		t.Fatal("a token of the revoked key still verifies")
	}
	if err := verifyWithKeyfunc(k, after); err != nil {
		t.Fatalf("a token of its successor: %v", err)
	}
	if !slices.Equal(revoked, []string{"active"}) {
		t.Fatalf("revocations noticed: %v, want [active] once", revoked)
	}
	reload(t, k)
	if len(revoked) != 1 {
		t.Fatalf("the revocation was noticed again: %v", revoked)
	}
	if s := k.Stats(); s.Revoked != 1 || s.Active != 1 {
		t.Fatalf("stats %+v, want 1 revoked and 1 active", s)
	}
	states := map[string]signing.KeyState{}
	for _, info := range signing.Describe(ks.all(), clk.Now(), ttl) {
		states[info.ID] = info.State
	}
	if states["active"] != signing.StateRevoked || states["next"] != signing.StateActive || states["old"] != signing.StateRetired {
		t.Fatalf("states %v", states)
	}

	// Once every token it signed has expired, the revoked key is deleted.
	clk.Set(t0.Add(time.Minute + ttl + signing.PublishLeeway))
	reload(t, k)
	if slices.Contains(ks.ids(), "active") {
		t.Fatal("the revoked key was kept after its tokens expired")
	}
}

// TestRevokedOnlyKeyIsReplaced: with no key to take over, the keyring
// generates one that signs at once.
func TestRevokedOnlyKeyIsReplaced(t *testing.T) {
	clk := newClock(t0)
	ks := newMemStore(fixture(t, "ES256", "only", t0.Add(-time.Hour)))
	k := newKeyring(t, ks, clk, "EdDSA")
	ks.revoke("only", t0)
	reload(t, k)
	tok := mustSign(t, k, t0)
	if kid := kidOf(t, tok); kid == "only" || kid == "" {
		t.Fatalf("signed by %q after the only key was revoked", kid)
	}
	if kids := jwksKids(t, k.JWKS()); len(kids) != 1 || kids[0] == "only" {
		t.Fatalf("JWKS %v, want only the new key", kids)
	}
}

// TestRevokedRetiredOrNextKey: revoking a key that no longer signs, or does
// not sign yet, unpublishes it and leaves the key that signs alone, also
// past the activation time of a revoked next key.
func TestRevokedRetiredOrNextKey(t *testing.T) {
	clk := newClock(t0)
	ks := newMemStore(
		fixture(t, "ES256", "old", t0.Add(-48*time.Hour)),
		fixture(t, "EdDSA", "active", t0.Add(-10*time.Minute)),
		fixture(t, "RS256", "next", t0.Add(10*time.Minute)),
	)
	k := newKeyring(t, ks, clk, "EdDSA")
	ks.revoke("old", t0)
	ks.revoke("next", t0)
	reload(t, k)
	if kids := jwksKids(t, k.JWKS()); !slices.Equal(kids, []string{"active"}) {
		t.Fatalf("JWKS %v, want only the active key", kids)
	}
	clk.Set(t0.Add(20 * time.Minute))
	reload(t, k)
	if kid := kidOf(t, mustSign(t, k, clk.Now())); kid != "active" {
		t.Fatalf("signed by %q after the revoked next key's activation time, want the active key still", kid)
	}
	if ids := ks.ids(); len(ids) != 3 {
		t.Fatalf("keys stored %v, want 3: no key generated, none deleted yet", ids)
	}
	// Once the tokens they might have signed have expired, both revoked
	// keys are deleted.
	clk.Set(t0.Add(ttl + signing.PublishLeeway))
	reload(t, k)
	if ids := ks.ids(); !slices.Equal(ids, []string{"active"}) {
		t.Fatalf("keys stored %v, want only the active key", ids)
	}
}

// TestRevokedAsItActivated: a key revoked at the very instant it began to
// sign hands over to its successor at that instant, whatever their IDs.
func TestRevokedAsItActivated(t *testing.T) {
	for _, ids := range [][2]string{{"a-revoked", "b-next"}, {"b-revoked", "a-next"}} {
		clk := newClock(t0)
		ks := newMemStore(fixture(t, "ES256", ids[0], t0), fixture(t, "EdDSA", ids[1], t0.Add(10*time.Minute)))
		k := newKeyring(t, ks, clk, "EdDSA")
		ks.revoke(ids[0], t0)
		reload(t, k)
		if kid := kidOf(t, mustSign(t, k, t0)); kid != ids[1] {
			t.Fatalf("keys %v: signed by %q, want the successor", ids, kid)
		}
		if n := len(ks.ids()); n != 2 {
			t.Fatalf("keys %v: %d stored, want 2: no key generated", ids, n)
		}
	}
}
