package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// testTimeRoundTrip checks that times come back as the same instant, in
// UTC, across the whole storable range.
func testTimeRoundTrip(t *testing.T, s store.Store) {
	tests := []struct {
		name string
		t    time.Time
	}{
		{"zero", time.Time{}},
		{"nanoseconds", time.Date(2031, 3, 4, 5, 6, 7, 123456789, time.FixedZone("", 5*3600+1800))},
		{"epoch", time.Unix(0, 0)},
		{"before epoch", time.Unix(-1, 1)},
		{"earliest", sqlcodec.MinTime},
		{"latest", sqlcodec.MaxTime},
		{"with monotonic reading", time.Now()},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "user" + string(rune('a'+i))
			must(t, "CreateUser", s.CreateUser(ctx(t), store.User{Username: name, CreatedAt: tc.t}))
			u, err := s.GetUser(ctx(t), name)
			must(t, "GetUser", err)
			sameTime(t, "CreatedAt", u.CreatedAt, tc.t)
			if !tc.t.IsZero() && u.CreatedAt.Location() != time.UTC {
				t.Fatalf("got location %v, want UTC", u.CreatedAt.Location())
			}
		})
	}
}

// testInvalidInput checks that what cannot be stored, or would break the
// store's invariants, is refused with an error that is none of the
// store's, and that nothing of it is stored.
func testInvalidInput(t *testing.T, s store.Store) {
	c := ctx(t)
	tooEarly := sqlcodec.MinTime.Add(-time.Nanosecond)
	tooLate := sqlcodec.MaxTime.Add(time.Nanosecond)
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: at(time.Hour)}
	tok := store.RefreshToken{ID: "t1", FamilyID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: at(time.Minute)}
	// createWith creates f with tok changed by change.
	createWith := func(change func(f *store.RefreshFamily, tok *store.RefreshToken)) func() error {
		return func() error {
			f, tok := f, tok
			change(&f, &tok)
			return s.CreateRefreshToken(c, f, tok)
		}
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"user time too early", func() error { return s.CreateUser(c, store.User{Username: "u", CreatedAt: tooEarly}) }},
		{"client time too late", func() error { return s.CreateClient(c, store.Client{ID: "c", UpdatedAt: tooLate}) }},
		{"empty username", func() error { return s.CreateUser(c, store.User{}) }},
		{"empty client id", func() error { return s.CreateClient(c, store.Client{}) }},
		{"family without expiry", createWith(func(f *store.RefreshFamily, _ *store.RefreshToken) { f.ExpiresAt = time.Time{} })},
		{"token without expiry", createWith(func(_ *store.RefreshFamily, tok *store.RefreshToken) { tok.ExpiresAt = time.Time{} })},
		{"token of another family", createWith(func(_ *store.RefreshFamily, tok *store.RefreshToken) { tok.FamilyID = "other" })},
		{"token of another client", createWith(func(_ *store.RefreshFamily, tok *store.RefreshToken) { tok.ClientID = "cli" })},
		{"token of another subject", createWith(func(_ *store.RefreshFamily, tok *store.RefreshToken) { tok.Subject = "bob" })},
		{"revocation without expiry", func() error { return s.RevokeAccessToken(c, "jti", time.Time{}) }},
		{"revocation without jti", func() error { return s.RevokeAccessToken(c, "", at(0)) }},
		{"signing key without private key", func() error {
			return s.CreateSigningKey(c, store.SigningKey{ID: "k", Algorithm: "ES256"})
		}},
		{"DeleteExpired at zero time", func() error { _, err := s.DeleteExpired(c, time.Time{}); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("accepted")
			}
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyExists) {
				t.Fatalf("got %v, want a validation error", err)
			}
		})
	}
	// Nothing was stored by the rejected calls.
	_, err := s.GetRefreshFamily(c, "fam")
	wantErr(t, "GetRefreshFamily", err, store.ErrNotFound)
	if us, err := s.ListUsers(c); err != nil || len(us) != 0 {
		t.Fatalf("ListUsers: %d, %v", len(us), err)
	}
}

// testRefreshTokenFilledFromFamily checks that a token without family,
// client or subject takes its family's, and never outlives it.
func testRefreshTokenFilledFromFamily(t *testing.T, s store.Store) {
	c := ctx(t)
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", CreatedAt: at(0), ExpiresAt: at(time.Hour)}
	must(t, "CreateRefreshToken", s.CreateRefreshToken(c, f, store.RefreshToken{ID: "t1", ExpiresAt: at(2 * time.Hour)}))
	checkFilled := func(what, id string) {
		t.Helper()
		got, _, err := s.GetRefreshToken(c, id)
		must(t, "GetRefreshToken", err)
		if got.FamilyID != "fam" || got.ClientID != "web" || got.Subject != "alice" || !got.ExpiresAt.Equal(f.ExpiresAt) {
			t.Fatalf("%s: %+v", what, got)
		}
	}
	checkFilled("first token", "t1")
	must(t, "RotateRefreshToken", rotate(s, c, "t1", at(time.Minute), store.RefreshToken{ID: "t2", ExpiresAt: at(3 * time.Hour)}))
	checkFilled("rotated token", "t2")
	// A next token naming another family is refused, and t2 stays unused.
	err := rotate(s, c, "t2", at(2*time.Minute), store.RefreshToken{ID: "t3", FamilyID: "other", ExpiresAt: at(time.Hour)})
	if err == nil {
		t.Fatal("rotation into another family accepted")
	}
	got, fam, err := s.GetRefreshToken(c, "t2")
	must(t, "GetRefreshToken", err)
	if !got.UsedAt.IsZero() || fam.Revoked() {
		t.Fatalf("refused rotation changed t2: used %v, family revoked %v", got.UsedAt, fam.Revoked())
	}
}

// testUpdaterPanics checks that a panicking updater does not leave the
// write transaction open.
func testUpdaterPanics(t *testing.T, s store.Store) {
	c := ctx(t)
	must(t, "CreateUser", s.CreateUser(c, store.User{Username: "alice"}))
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic did not propagate")
			}
		}()
		_ = s.UpdateUser(c, "alice", func(u store.User) (store.User, error) { panic("updater bug") })
	}()
	must(t, "UpdateUser after a panic", s.UpdateUser(c, "alice", func(u store.User) (store.User, error) {
		u.Email = "alice@example.com"
		return u, nil
	}))
	if u, err := s.GetUser(c, "alice"); err != nil || u.Email != "alice@example.com" {
		t.Fatalf("GetUser: %+v, %v", u, err)
	}
}

// RunClock runs the tests of what a backend does at its own clock. newStore
// must return a new, empty store whose clock always reads clock, and
// arrange, with t.Cleanup, for it to be closed.
func RunClock(t *testing.T, clock time.Time, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store, clock time.Time)
	}{
		{"DeleteUserRevokesAtClock", testDeleteUserRevokesAtClock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t), clock)
		})
	}
}

func testDeleteUserRevokesAtClock(t *testing.T, s store.Store, clock time.Time) {
	c := ctx(t)
	must(t, "CreateUser", s.CreateUser(c, store.User{Username: "alice"}))
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: clock.Add(time.Hour)}
	must(t, "CreateRefreshToken", s.CreateRefreshToken(c, f, store.RefreshToken{ID: "t1", ExpiresAt: clock.Add(time.Hour)}))
	must(t, "DeleteUser", s.DeleteUser(c, "alice"))
	got, err := s.GetRefreshFamily(c, "fam")
	must(t, "GetRefreshFamily", err)
	if !got.RevokedAt.Equal(clock) {
		t.Fatalf("RevokedAt %v, want the store's clock %v", got.RevokedAt, clock)
	}
}
