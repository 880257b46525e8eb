package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// Refresh families in the tests live for 30 days, their tokens 1 day.
const (
	familyLife = 30 * 24 * time.Hour
	tokenLife  = 24 * time.Hour
)

func sampleFamily(id, client, subject string, created time.Time) store.RefreshFamily {
	return store.RefreshFamily{
		ID:        id,
		ClientID:  client,
		Subject:   subject,
		CreatedAt: created,
		ExpiresAt: created.Add(familyLife),
	}
}

func sampleToken(id string, f store.RefreshFamily, created time.Time) store.RefreshToken {
	return store.RefreshToken{
		ID:        id,
		FamilyID:  f.ID,
		ClientID:  f.ClientID,
		Subject:   f.Subject,
		Scopes:    []string{"items:read", "me"},
		Audience:  []string{"https://api.example.com"},
		CreatedAt: created,
		ExpiresAt: created.Add(tokenLife),
	}
}

// newFamily creates a family for subject and client with first token
// "<id>-t1".
func newFamily(t *testing.T, s store.Store, id, client, subject string) (store.RefreshFamily, store.RefreshToken) {
	t.Helper()
	f := sampleFamily(id, client, subject, at(0))
	tok := sampleToken(id+"-t1", f, at(0))
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), f, tok))
	return f, tok
}

func getToken(t *testing.T, s store.Store, id string) (store.RefreshToken, store.RefreshFamily) {
	t.Helper()
	tok, f, err := s.GetRefreshToken(ctx(t), id)
	must(t, "GetRefreshToken "+id, err)
	return tok, f
}

func getFamily(t *testing.T, s store.Store, id string) store.RefreshFamily {
	t.Helper()
	f, err := s.GetRefreshFamily(ctx(t), id)
	must(t, "GetRefreshFamily "+id, err)
	return f
}

func testRefreshTokenRoundTrip(t *testing.T, s store.Store) {
	f, tok := newFamily(t, s, "fam", "web", "alice")
	gotTok, gotFam := getToken(t, s, tok.ID)
	equal(t, "token", gotTok, tok, normToken)
	equal(t, "token's family", gotFam, f, normFamily)
	equal(t, "GetRefreshFamily", getFamily(t, s, f.ID), f, normFamily)
	if gotFam.Revoked() || !gotTok.UsedAt.IsZero() {
		t.Fatalf("new family revoked %v, new token used at %v", gotFam.Revoked(), gotTok.UsedAt)
	}

	// A token with empty lists.
	f2 := sampleFamily("fam2", "cli", "bob", at(time.Minute))
	tok2 := store.RefreshToken{ID: "fam2-t1", FamilyID: f2.ID, ClientID: f2.ClientID, Subject: f2.Subject,
		CreatedAt: at(time.Minute), ExpiresAt: at(time.Hour)}
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), f2, tok2))
	gotTok, gotFam = getToken(t, s, tok2.ID)
	equal(t, "token with empty lists", gotTok, tok2, normToken)
	equal(t, "its family", gotFam, f2, normFamily)
}

func testRefreshTokenAlreadyExists(t *testing.T, s store.Store) {
	f, tok := newFamily(t, s, "fam", "web", "alice")

	// Same family ID.
	tok2 := sampleToken("other-token", f, at(time.Minute))
	wantErr(t, "CreateRefreshToken with a duplicate family", s.CreateRefreshToken(ctx(t), f, tok2), store.ErrAlreadyExists)
	_, _, err := s.GetRefreshToken(ctx(t), tok2.ID)
	wantErr(t, "token of the failed creation", err, store.ErrNotFound)

	// Same token ID in a new family: the new family must not be left behind.
	f3 := sampleFamily("fam3", "web", "alice", at(time.Minute))
	tok3 := sampleToken(tok.ID, f3, at(time.Minute))
	wantErr(t, "CreateRefreshToken with a duplicate token", s.CreateRefreshToken(ctx(t), f3, tok3), store.ErrAlreadyExists)
	_, err = s.GetRefreshFamily(ctx(t), f3.ID)
	wantErr(t, "family of the failed creation", err, store.ErrNotFound)
	gotTok, _ := getToken(t, s, tok.ID)
	equal(t, "original token", gotTok, tok, normToken)
}

func testRefreshNotFound(t *testing.T, s store.Store) {
	f, _ := newFamily(t, s, "fam", "web", "alice")
	_, _, err := s.GetRefreshToken(ctx(t), "nope")
	wantErr(t, "GetRefreshToken", err, store.ErrNotFound)
	_, err = s.GetRefreshFamily(ctx(t), "nope")
	wantErr(t, "GetRefreshFamily", err, store.ErrNotFound)
	wantErr(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx(t), "nope", at(time.Minute)), store.ErrNotFound)
	next := sampleToken("next", f, at(time.Minute))
	wantErr(t, "RotateRefreshToken", rotate(s, ctx(t), "nope", at(time.Minute), next), store.ErrNotFound)
	_, _, err = s.GetRefreshToken(ctx(t), next.ID)
	wantErr(t, "next of the failed rotation", err, store.ErrNotFound)
	if getFamily(t, s, f.ID).Revoked() {
		t.Fatal("rotating an unknown token revoked another family")
	}
}

func testRotateRefreshToken(t *testing.T, s store.Store) {
	f, t1 := newFamily(t, s, "fam", "web", "alice")

	now2 := at(time.Hour + 17)
	t2 := sampleToken("fam-t2", f, now2)
	t2.Scopes = []string{"me"}
	must(t, "RotateRefreshToken t1", rotate(s, ctx(t), t1.ID, now2, t2))

	got1, fam := getToken(t, s, t1.ID)
	sameTime(t, "t1 UsedAt", got1.UsedAt, now2)
	want1 := t1
	want1.UsedAt = now2
	equal(t, "t1 after rotation", got1, want1, normToken)
	if fam.Revoked() {
		t.Fatal("rotation revoked the family")
	}
	got2, fam2 := getToken(t, s, t2.ID)
	equal(t, "t2", got2, t2, normToken)
	equal(t, "t2's family", fam2, f, normFamily)

	now3 := at(2 * time.Hour)
	t3 := sampleToken("fam-t3", f, now3)
	must(t, "RotateRefreshToken t2", rotate(s, ctx(t), t2.ID, now3, t3))
	got2, _ = getToken(t, s, t2.ID)
	sameTime(t, "t2 UsedAt", got2.UsedAt, now3)
	got3, fam3 := getToken(t, s, t3.ID)
	if !got3.UsedAt.IsZero() || fam3.Revoked() {
		t.Fatalf("t3 used at %v, family revoked %v", got3.UsedAt, fam3.Revoked())
	}
}

// testRotateReusedToken presents a token again after it was rotated: the
// whole family, including the token that replaced it, is revoked.
func testRotateReusedToken(t *testing.T, s store.Store) {
	f, t1 := newFamily(t, s, "fam", "web", "alice")
	other, otherTok := newFamily(t, s, "other", "web", "alice")

	now2 := at(time.Hour)
	t2 := sampleToken("fam-t2", f, now2)
	must(t, "RotateRefreshToken t1", rotate(s, ctx(t), t1.ID, now2, t2))

	now3 := at(2 * time.Hour)
	t3 := sampleToken("fam-t3", f, now3)
	wantErr(t, "RotateRefreshToken t1 again", rotate(s, ctx(t), t1.ID, now3, t3), store.ErrTokenReused)

	_, _, err := s.GetRefreshToken(ctx(t), t3.ID)
	wantErr(t, "next of the reused rotation", err, store.ErrNotFound)
	got1, _ := getToken(t, s, t1.ID)
	sameTime(t, "t1 UsedAt keeps the first rotation", got1.UsedAt, now2)
	got2, fam := getToken(t, s, t2.ID)
	if !fam.Revoked() {
		t.Fatal("family of the newer token is not revoked after reuse")
	}
	sameTime(t, "RevokedAt", fam.RevokedAt, now3)
	if !got2.UsedAt.IsZero() {
		t.Fatalf("t2 marked used at %v", got2.UsedAt)
	}
	sameTime(t, "GetRefreshFamily RevokedAt", getFamily(t, s, f.ID).RevokedAt, now3)

	// The newer token cannot be rotated either.
	t4 := sampleToken("fam-t4", f, at(3*time.Hour))
	wantErr(t, "RotateRefreshToken t2", rotate(s, ctx(t), t2.ID, at(3*time.Hour), t4), store.ErrTokenReused)
	sameTime(t, "RevokedAt after a second reuse", getFamily(t, s, f.ID).RevokedAt, now3)

	// Other families are untouched.
	if getFamily(t, s, other.ID).Revoked() {
		t.Fatal("reuse in one family revoked another")
	}
	must(t, "RotateRefreshToken in another family",
		rotate(s, ctx(t), otherTok.ID, at(time.Hour), sampleToken("other-t2", other, at(time.Hour))))
}

func testRotateInRevokedFamily(t *testing.T, s store.Store) {
	f, t1 := newFamily(t, s, "fam", "web", "alice")
	revoked := at(time.Minute)
	must(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx(t), f.ID, revoked))
	next := sampleToken("fam-t2", f, at(time.Hour))
	wantErr(t, "RotateRefreshToken", rotate(s, ctx(t), t1.ID, at(time.Hour), next), store.ErrTokenReused)
	_, _, err := s.GetRefreshToken(ctx(t), next.ID)
	wantErr(t, "next in a revoked family", err, store.ErrNotFound)
	got1, fam := getToken(t, s, t1.ID)
	sameTime(t, "RevokedAt keeps the first revocation", fam.RevokedAt, revoked)
	if !got1.UsedAt.IsZero() {
		t.Fatalf("token of a revoked family marked used at %v", got1.UsedAt)
	}
}

// testRotateDuplicateNext rotates into a token ID that exists: the rotation
// fails as a whole, and the old token can still be rotated.
func testRotateDuplicateNext(t *testing.T, s store.Store) {
	f, t1 := newFamily(t, s, "fam", "web", "alice")
	_, otherTok := newFamily(t, s, "other", "web", "bob")
	dup := sampleToken(otherTok.ID, f, at(time.Hour))
	wantErr(t, "RotateRefreshToken into an existing ID", rotate(s, ctx(t), t1.ID, at(time.Hour), dup), store.ErrAlreadyExists)
	got1, fam := getToken(t, s, t1.ID)
	if !got1.UsedAt.IsZero() || fam.Revoked() {
		t.Fatalf("failed rotation left t1 used at %v, family revoked %v", got1.UsedAt, fam.Revoked())
	}
	gotOther, _ := getToken(t, s, otherTok.ID)
	equal(t, "existing token", gotOther, otherTok, normToken)
	must(t, "RotateRefreshToken after the failure",
		rotate(s, ctx(t), t1.ID, at(2*time.Hour), sampleToken("fam-t2", f, at(2*time.Hour))))
}

func testRevokeRefreshFamily(t *testing.T, s store.Store) {
	f, t1 := newFamily(t, s, "fam", "web", "alice")
	other, _ := newFamily(t, s, "other", "web", "alice")
	first := at(time.Minute)
	must(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx(t), f.ID, first))
	must(t, "RevokeRefreshFamily again", s.RevokeRefreshFamily(ctx(t), f.ID, at(time.Hour)))
	got := getFamily(t, s, f.ID)
	sameTime(t, "RevokedAt", got.RevokedAt, first)
	want := f
	want.RevokedAt = first
	equal(t, "revoked family", got, want, normFamily)
	_, fam := getToken(t, s, t1.ID)
	if !fam.Revoked() {
		t.Fatal("GetRefreshToken does not show the family revoked")
	}
	if getFamily(t, s, other.ID).Revoked() {
		t.Fatal("another family was revoked")
	}
}

func testRevokeUserRefreshFamilies(t *testing.T, s store.Store) {
	a1, _ := newFamily(t, s, "a1", "web", "alice")
	a2, _ := newFamily(t, s, "a2", "cli", "alice")
	b1, _ := newFamily(t, s, "b1", "web", "bob")
	earlier := at(time.Minute)
	must(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx(t), a2.ID, earlier))

	now := at(time.Hour)
	must(t, "RevokeUserRefreshFamilies", s.RevokeUserRefreshFamilies(ctx(t), "alice", now))
	sameTime(t, "a1 RevokedAt", getFamily(t, s, a1.ID).RevokedAt, now)
	sameTime(t, "a2 RevokedAt keeps the first revocation", getFamily(t, s, a2.ID).RevokedAt, earlier)
	if getFamily(t, s, b1.ID).Revoked() {
		t.Fatal("another user's family was revoked")
	}
	must(t, "RevokeUserRefreshFamilies again", s.RevokeUserRefreshFamilies(ctx(t), "alice", at(2*time.Hour)))
	sameTime(t, "a1 RevokedAt after a second revocation", getFamily(t, s, a1.ID).RevokedAt, now)
	must(t, "RevokeUserRefreshFamilies without families", s.RevokeUserRefreshFamilies(ctx(t), "nobody", now))
}

// wantFamilyEnded fails t unless family f, whose first token is t1, of a
// deleted user or client (as owner says) is revoked or gone, and rotating
// t1 fails as reuse or as an unknown token.
func wantFamilyEnded(t *testing.T, s store.Store, owner string, f store.RefreshFamily, t1 store.RefreshToken) {
	t.Helper()
	if !familyRevokedOrGone(t, s, f.ID) {
		t.Fatalf("family of a deleted %s is still active", owner)
	}
	err := rotate(s, ctx(t), t1.ID, at(time.Hour), sampleToken(f.ID+"-t2", f, at(time.Hour)))
	if !errors.Is(err, store.ErrTokenReused) && !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rotating a token of a deleted %s: got %v, want %v or %v", owner, err, store.ErrTokenReused, store.ErrNotFound)
	}
}

func testDeleteUserRevokesFamilies(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), sampleClient("web")))
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("alice")))
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("bob")))
	a, at1 := newFamily(t, s, "a", "web", "alice")
	b, _ := newFamily(t, s, "b", "web", "bob")
	must(t, "DeleteUser", s.DeleteUser(ctx(t), "alice"))
	wantFamilyEnded(t, s, "user", a, at1)
	if getFamily(t, s, b.ID).Revoked() {
		t.Fatal("another user's family was revoked")
	}
}

func testDeleteClientRevokesFamilies(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), sampleClient("web")))
	must(t, "CreateClient", s.CreateClient(ctx(t), sampleClient("cli")))
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("alice")))
	w, wt1 := newFamily(t, s, "w", "web", "alice")
	c, _ := newFamily(t, s, "c", "cli", "alice")
	must(t, "DeleteClient", s.DeleteClient(ctx(t), "web"))
	wantFamilyEnded(t, s, "client", w, wt1)
	if getFamily(t, s, c.ID).Revoked() {
		t.Fatal("another client's family was revoked")
	}
}

// familyRevokedOrGone reports whether a family was revoked or deleted.
func familyRevokedOrGone(t *testing.T, s store.Store, id string) bool {
	t.Helper()
	f, err := s.GetRefreshFamily(ctx(t), id)
	if errors.Is(err, store.ErrNotFound) {
		return true
	}
	must(t, "GetRefreshFamily", err)
	return f.Revoked()
}

// testConcurrentRotation rotates one token from many goroutines at once:
// exactly one rotation succeeds, every other one is reuse, and the family
// ends revoked.
func testConcurrentRotation(t *testing.T, s store.Store) {
	const n = 50
	f, t1 := newFamily(t, s, "fam", "web", "alice")
	now := at(time.Hour)
	errs := make([]error, n)
	race(n, func(i int) {
		errs[i] = rotate(s, ctx(t), t1.ID, now, sampleToken(fmt.Sprintf("next-%02d", i), f, now))
	})
	winner := oneWinner(t, errs)
	for i := range n {
		_, _, err := s.GetRefreshToken(ctx(t), fmt.Sprintf("next-%02d", i))
		switch {
		case i == winner && err != nil:
			t.Fatalf("token of the successful rotation: %v", err)
		case i != winner && !errors.Is(err, store.ErrNotFound):
			t.Fatalf("token of failed rotation %d: got %v, want %v", i, err, store.ErrNotFound)
		}
	}
	if !getFamily(t, s, f.ID).Revoked() {
		t.Fatal("family not revoked after concurrent reuse")
	}
}
