package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/signing"
)

// keyStates returns the state of every stored key at the harness's time.
func (h *harness) keyStates() map[string]signing.KeyState {
	h.t.Helper()
	keys, err := h.store().ListSigningKeys(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	states := map[string]signing.KeyState{}
	for _, k := range signing.Describe(keys, time.Now(), config.Defaults().AccessTokenTTL) {
		states[k.ID] = k.State
	}
	return states
}

var rotatedRE = regexp.MustCompile(`signing key (\S+) published`)

// TestKeysRevoke: revoking the key that signs hands over to the key
// published to succeed it, or to a new key when there is none; the audit
// line names the key, the output says how long servers and resource
// servers take; revoking twice is fine, an unknown key an error.
func TestKeysRevoke(t *testing.T) {
	h := newHarness(t)
	h.env["AUTH_SIGNING_ALG"] = "ES256"
	first := rotatedRE.FindStringSubmatch(h.ok("", "keys", "rotate").stdout)[1]
	next := rotatedRE.FindStringSubmatch(h.ok("", "keys", "rotate", "--activate-after", "1h").stdout)[1]

	r := h.ok("", "keys", "revoke", first)
	for _, want := range []string{"signing key " + first + " revoked", "Key " + next + " signs from now on", "within 2s", "SIGHUP", "within 5m"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("keys revoke printed %q, want %q", r.stdout, want)
		}
	}
	if !strings.Contains(r.stderr, `"msg":"signing key revoked"`) && !strings.Contains(r.stderr, `msg="signing key revoked"`) ||
		!strings.Contains(r.stderr, first) || !strings.Contains(r.stderr, "audit") {
		t.Errorf("no audit line for the revocation:\n%s", r.stderr)
	}
	states := h.keyStates()
	if states[first] != signing.StateRevoked || states[next] != signing.StateActive || len(states) != 2 {
		t.Fatalf("after revoking the active key with a next one waiting: %v", states)
	}

	// No key to take over: a new one is made, and signs at once.
	r = h.ok("", "keys", "revoke", next)
	states = h.keyStates()
	var replacement string
	for id, s := range states {
		if s == signing.StateActive {
			replacement = id
		}
	}
	if replacement == "" || replacement == first || replacement == next || len(states) != 3 {
		t.Fatalf("after revoking the only usable key: %v", states)
	}
	if !strings.Contains(r.stdout, "Key "+replacement+" signs from now on") {
		t.Errorf("keys revoke printed %q, want the new key named", r.stdout)
	}

	if r := h.ok("", "keys", "revoke", next); !strings.Contains(r.stdout, "revoked already") {
		t.Errorf("revoking twice printed %q", r.stdout)
	}
	h.fails(ExitFailure, `no signing key "nope"`, "", "keys", "revoke", "nope")
	if r := h.ok("", "keys", "list"); !strings.Contains(r.stdout, "revoked") {
		t.Errorf("keys list does not show the revoked keys:\n%s", r.stdout)
	}
	k, err := h.store().GetSigningKey(context.Background(), first)
	if err != nil || !k.Revoked() {
		t.Fatalf("stored key %s: %+v, %v", first, k, err)
	}
}
