package jwks

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRemoteGeneration(t *testing.T) {
	k := testKeys()
	rsaKey := mustJWK(t, "rsa", "RS256", &k.rsa.PublicKey)
	ecKey := mustJWK(t, "ec", "ES256", &k.p256.PublicKey)
	edKey := mustJWK(t, "ed", "EdDSA", k.ed.Public())
	b, _ := json.Marshal(ecKey)
	ecLeaked := json.RawMessage(strings.Replace(string(b), `"kty"`, `"d":"c2VjcmV0","kty"`, 1))

	// Each step serves a set and refreshes; moved says whether Generation
	// must change.
	steps := []struct {
		name  string
		set   []any
		moved bool
	}{
		{"first set", []any{rsaKey}, false},
		{"same set again", []any{rsaKey}, false},
		{"key added", []any{rsaKey, ecKey}, false},
		{"order changed", []any{ecKey, rsaKey}, false},
		{"key removed", []any{ecKey}, true},
		{"key replaced under the same kid", []any{mustJWK(t, "ec", "EdDSA", k.ed.Public())}, true},
		{"other keys added back", []any{mustJWK(t, "ec", "EdDSA", k.ed.Public()), rsaKey, edKey}, false},
		{"same kid, another key of the same kind", []any{mustJWK(t, "ec", "EdDSA", k.ed.Public()), rsaKey, mustJWK(t, "ed", "ES256", &k.p256.PublicKey)}, true},
		{"private part published", []any{rsaKey, ecLeaked}, true},
	}
	srv := newJWKSServer(t, setJSON(t, steps[0].set...))
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: newFakeClock().Now})
	if g := r.Generation(); g != 0 {
		t.Fatalf("Generation before any fetch = %d, want 0", g)
	}
	for _, st := range steps {
		before := r.Generation()
		srv.Serve(okJSON(setJSON(t, st.set...), ""))
		_ = r.Refresh(t.Context()) // the last step's set leaves a key unusable
		if moved := r.Generation() != before; moved != st.moved {
			t.Errorf("%s: Generation moved = %v, want %v", st.name, moved, st.moved)
		}
	}
}

func TestRemoteGenerationKeepsLastGoodSetOnFailure(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, setJSON(t, mustJWK(t, "ec", "ES256", &k.p256.PublicKey)))
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: newFakeClock().Now})
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := r.Generation()
	srv.Serve(okJSON([]byte(`{"keys":[]}`), ""))
	if err := r.Refresh(t.Context()); err == nil {
		t.Fatal("an empty set was accepted")
	}
	if r.Generation() != before {
		t.Error("a failed refresh moved Generation, though the keys stay in use")
	}
}
