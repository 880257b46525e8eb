package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func registeredClient(id string, created time.Time) store.Client {
	c := sampleSignInClient(id)
	c.SkipConsent = false
	c.RegistrationTokenHash = []byte("registration-token-hash-of-" + id)
	c.CreatedAt, c.UpdatedAt = created, created
	return c
}

func testRegisteredClient(t *testing.T, s store.Store) {
	want := registeredClient("reg", at(0))
	must(t, "CreateClient", s.CreateClient(ctx(t), want))
	wantClient(t, s, "GetClient", want)
	if !getClient(t, s, "reg").Registered() {
		t.Fatal("a registered client came back as added by an administrator")
	}
	must(t, "MarkClientUsed", s.MarkClientUsed(ctx(t), "reg", at(time.Hour)))
	must(t, "MarkClientUsed again", s.MarkClientUsed(ctx(t), "reg", at(2*time.Hour)))
	want.FirstUsedAt = at(time.Hour)
	wantClient(t, s, "after MarkClientUsed", want)
	wantErr(t, "MarkClientUsed of an unknown client", s.MarkClientUsed(ctx(t), "ghost", at(time.Hour)), store.ErrNotFound)
}

func testDeleteUnusedClients(t *testing.T, s store.Store) {
	cutoff := at(24 * time.Hour)
	old := registeredClient("old-unused", cutoff.Add(-time.Nanosecond))
	used := registeredClient("old-used", cutoff.Add(-time.Hour))
	young := registeredClient("young", cutoff)
	admin := sampleClient("admin-added")
	admin.CreatedAt = at(-time.Hour)
	for _, c := range []store.Client{old, used, young, admin} {
		must(t, "CreateClient "+c.ID, s.CreateClient(ctx(t), c))
	}
	must(t, "MarkClientUsed", s.MarkClientUsed(ctx(t), used.ID, cutoff.Add(-time.Minute)))
	must(t, "SaveConsent", s.SaveConsent(ctx(t), store.Consent{Subject: "alice", ClientID: old.ID}))

	n, err := s.DeleteUnusedClients(ctx(t), cutoff)
	must(t, "DeleteUnusedClients", err)
	if n != 1 {
		t.Fatalf("DeleteUnusedClients deleted %d clients, want 1", n)
	}
	_, err = s.GetClient(ctx(t), old.ID)
	wantErr(t, "the old unused client", err, store.ErrNotFound)
	_, err = s.GetConsent(ctx(t), "alice", old.ID)
	wantErr(t, "its consent", err, store.ErrNotFound)
	for _, id := range []string{used.ID, young.ID, admin.ID} {
		getClient(t, s, id)
	}
	// Its ID is free again, as after DeleteClient.
	must(t, "CreateUser with the freed name", s.CreateUser(ctx(t), sampleUser(old.ID)))
}

func testRegistrationTokens(t *testing.T, s store.Store) {
	tok := store.RegistrationToken{ID: "tok", UsesLeft: 2, CreatedAt: at(0), ExpiresAt: at(time.Hour)}
	must(t, "CreateRegistrationToken", s.CreateRegistrationToken(ctx(t), tok))
	wantErr(t, "CreateRegistrationToken again", s.CreateRegistrationToken(ctx(t), tok), store.ErrAlreadyExists)
	if err := s.CreateRegistrationToken(ctx(t), store.RegistrationToken{ID: "none", ExpiresAt: at(time.Hour)}); err == nil || errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("a token without uses: %v", err)
	}
	must(t, "CreateRegistrationToken", s.CreateRegistrationToken(ctx(t), store.RegistrationToken{ID: "another", UsesLeft: 1, ExpiresAt: at(time.Minute)}))

	got, err := s.UseRegistrationToken(ctx(t), "tok", at(time.Minute))
	must(t, "UseRegistrationToken", err)
	if got.UsesLeft != 1 || !got.ExpiresAt.Equal(tok.ExpiresAt) {
		t.Fatalf("after one use: %+v", got)
	}
	list, err := s.ListRegistrationTokens(ctx(t))
	must(t, "ListRegistrationTokens", err)
	if len(list) != 2 || list[0].ID != "another" || list[1].ID != "tok" || list[1].UsesLeft != 1 {
		t.Fatalf("ListRegistrationTokens = %+v", list)
	}
	_, err = s.UseRegistrationToken(ctx(t), "tok", at(time.Hour))
	wantErr(t, "an expired token", err, store.ErrNotFound)
	_, err = s.UseRegistrationToken(ctx(t), "ghost", at(time.Minute))
	wantErr(t, "an unknown token", err, store.ErrNotFound)
	_, err = s.UseRegistrationToken(ctx(t), "tok", at(2*time.Minute))
	must(t, "the last use", err)
	_, err = s.UseRegistrationToken(ctx(t), "tok", at(3*time.Minute))
	wantErr(t, "a spent token", err, store.ErrNotFound)

	must(t, "DeleteRegistrationToken", s.DeleteRegistrationToken(ctx(t), "another"))
	wantErr(t, "DeleteRegistrationToken again", s.DeleteRegistrationToken(ctx(t), "another"), store.ErrNotFound)
}

func testRegistrationTokenLastUse(t *testing.T, s store.Store) {
	must(t, "CreateRegistrationToken", s.CreateRegistrationToken(ctx(t), store.RegistrationToken{ID: "once", UsesLeft: 1, ExpiresAt: at(time.Hour)}))
	const n = 12
	errs := make([]error, n)
	race(n, func(i int) {
		_, err := s.UseRegistrationToken(ctx(t), "once", at(time.Minute))
		if errors.Is(err, store.ErrNotFound) {
			err = store.ErrTokenReused // what oneWinner expects of the losers
		}
		errs[i] = err
	})
	oneWinner(t, errs)
}
