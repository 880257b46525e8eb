package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func sampleKey(id string, activates time.Time) store.SigningKey {
	return store.SigningKey{
		ID:          id,
		Algorithm:   "ES256",
		PrivateKey:  append([]byte{0x30, 0x81, 0x87, 0x00, 0xff}, id...),
		CreatedAt:   activates.Add(-time.Hour),
		ActivatesAt: activates,
	}
}

func testSigningKeys(t *testing.T, s store.Store) {
	ks, err := s.ListSigningKeys(ctx(t))
	must(t, "ListSigningKeys on empty store", err)
	if len(ks) != 0 {
		t.Fatalf("ListSigningKeys on empty store: got %d keys", len(ks))
	}
	// In the order ListSigningKeys must return them: by ActivatesAt, then ID,
	// which is neither the order of creation nor of ID.
	want := []store.SigningKey{
		sampleKey("z-oldest", at(-48*time.Hour)),
		sampleKey("b-current", at(0)),
		sampleKey("c-current", at(0)),
		sampleKey("a-next", at(time.Hour+1)),
	}
	want[1].Algorithm = "RS256"
	want[2].Algorithm = "EdDSA"
	for _, i := range []int{2, 3, 0, 1} {
		must(t, "CreateSigningKey", s.CreateSigningKey(ctx(t), want[i]))
	}
	ks, err = s.ListSigningKeys(ctx(t))
	must(t, "ListSigningKeys", err)
	if len(ks) != len(want) {
		t.Fatalf("ListSigningKeys: got %d keys, want %d", len(ks), len(want))
	}
	for i := range want {
		equal(t, fmt.Sprintf("ListSigningKeys[%d]", i), ks[i], want[i], normKey)
		sameTime(t, fmt.Sprintf("ListSigningKeys[%d].ActivatesAt", i), ks[i].ActivatesAt, want[i].ActivatesAt)
	}
}

func testSigningKeyAlreadyExists(t *testing.T, s store.Store) {
	first := sampleKey("k1", at(0))
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx(t), first))
	second := sampleKey("k1", at(time.Hour))
	second.Algorithm = "RS256"
	wantErr(t, "CreateSigningKey again", s.CreateSigningKey(ctx(t), second), store.ErrAlreadyExists)
	ks, err := s.ListSigningKeys(ctx(t))
	must(t, "ListSigningKeys", err)
	if len(ks) != 1 {
		t.Fatalf("got %d keys, want 1", len(ks))
	}
	equal(t, "key after failed create", ks[0], first, normKey)
}

func testDeleteSigningKey(t *testing.T, s store.Store) {
	k1, k2 := sampleKey("k1", at(0)), sampleKey("k2", at(time.Hour))
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx(t), k1))
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx(t), k2))
	must(t, "DeleteSigningKey", s.DeleteSigningKey(ctx(t), "k1"))
	wantErr(t, "DeleteSigningKey again", s.DeleteSigningKey(ctx(t), "k1"), store.ErrNotFound)
	ks, err := s.ListSigningKeys(ctx(t))
	must(t, "ListSigningKeys", err)
	if len(ks) != 1 {
		t.Fatalf("got %d keys after delete, want 1", len(ks))
	}
	equal(t, "remaining key", ks[0], k2, normKey)
}

// testRevokeSigningKey: a revoked key keeps its record with the first
// revocation time, is still listed and read, and revoking an unknown key
// is store.ErrNotFound.
func testRevokeSigningKey(t *testing.T, s store.Store) {
	k1, k2 := sampleKey("k1", at(0)), sampleKey("k2", at(time.Hour))
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx(t), k1))
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx(t), k2))
	got, err := s.GetSigningKey(ctx(t), "k1")
	must(t, "GetSigningKey", err)
	equal(t, "GetSigningKey", got, k1, normKey)
	if got.Revoked() {
		t.Fatal("a new key is revoked")
	}

	must(t, "RevokeSigningKey", s.RevokeSigningKey(ctx(t), "k1", at(2*time.Hour)))
	must(t, "RevokeSigningKey again", s.RevokeSigningKey(ctx(t), "k1", at(3*time.Hour)))
	got, err = s.GetSigningKey(ctx(t), "k1")
	must(t, "GetSigningKey after revocation", err)
	sameTime(t, "RevokedAt", got.RevokedAt, at(2*time.Hour))
	want := k1
	want.RevokedAt = at(2 * time.Hour)
	equal(t, "revoked key", got, want, normKey)
	ks, err := s.ListSigningKeys(ctx(t))
	must(t, "ListSigningKeys", err)
	if len(ks) != 2 || !ks[0].Revoked() || ks[1].Revoked() {
		t.Fatalf("ListSigningKeys after revoking k1: %+v", ks)
	}

	wantErr(t, "RevokeSigningKey of an unknown key", s.RevokeSigningKey(ctx(t), "nope", at(time.Hour)), store.ErrNotFound)
	_, err = s.GetSigningKey(ctx(t), "nope")
	wantErr(t, "GetSigningKey of an unknown key", err, store.ErrNotFound)
}
