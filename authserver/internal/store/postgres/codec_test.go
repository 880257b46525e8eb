package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func TestTimeRoundTrip(t *testing.T) {
	s := fresh(t)
	tests := []struct {
		name string
		t    time.Time
	}{
		{"zero", time.Time{}},
		{"nanoseconds", time.Date(2031, 3, 4, 5, 6, 7, 123456789, time.FixedZone("", 5*3600+1800))},
		{"epoch", time.Unix(0, 0)},
		{"before epoch", time.Unix(-1, 1)},
		{"earliest", minTime},
		{"latest", maxTime},
		{"with monotonic reading", time.Now()},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "user" + string(rune('a'+i))
			if err := s.CreateUser(t.Context(), store.User{Username: name, CreatedAt: tc.t}); err != nil {
				t.Fatal(err)
			}
			u, err := s.GetUser(t.Context(), name)
			if err != nil {
				t.Fatal(err)
			}
			if !u.CreatedAt.Equal(tc.t) {
				t.Fatalf("got %v, want %v", u.CreatedAt, tc.t)
			}
			if !tc.t.IsZero() && u.CreatedAt.Location() != time.UTC {
				t.Fatalf("got location %v, want UTC", u.CreatedAt.Location())
			}
		})
	}
}

func TestInvalidInput(t *testing.T) {
	s := fresh(t)
	ctx := t.Context()
	tooEarly := minTime.Add(-time.Nanosecond)
	tooLate := maxTime.Add(time.Nanosecond)
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: clock.Add(time.Hour)}
	tok := store.RefreshToken{ID: "t1", FamilyID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: clock.Add(time.Minute)}
	tests := []struct {
		name string
		call func() error
	}{
		{"user time too early", func() error { return s.CreateUser(ctx, store.User{Username: "u", CreatedAt: tooEarly}) }},
		{"client time too late", func() error { return s.CreateClient(ctx, store.Client{ID: "c", UpdatedAt: tooLate}) }},
		{"empty username", func() error { return s.CreateUser(ctx, store.User{}) }},
		{"empty client id", func() error { return s.CreateClient(ctx, store.Client{}) }},
		{"family without expiry", func() error {
			f := f
			f.ExpiresAt = time.Time{}
			return s.CreateRefreshToken(ctx, f, tok)
		}},
		{"token without expiry", func() error {
			tok := tok
			tok.ExpiresAt = time.Time{}
			return s.CreateRefreshToken(ctx, f, tok)
		}},
		{"token of another family", func() error {
			tok := tok
			tok.FamilyID = "other"
			return s.CreateRefreshToken(ctx, f, tok)
		}},
		{"token of another client", func() error {
			tok := tok
			tok.ClientID = "cli"
			return s.CreateRefreshToken(ctx, f, tok)
		}},
		{"token of another subject", func() error {
			tok := tok
			tok.Subject = "bob"
			return s.CreateRefreshToken(ctx, f, tok)
		}},
		{"revocation without expiry", func() error { return s.RevokeAccessToken(ctx, "jti", time.Time{}) }},
		{"revocation without jti", func() error { return s.RevokeAccessToken(ctx, "", clock) }},
		{"signing key without private key", func() error {
			return s.CreateSigningKey(ctx, store.SigningKey{ID: "k", Algorithm: "ES256"})
		}},
		{"DeleteExpired at zero time", func() error { _, err := s.DeleteExpired(ctx, time.Time{}); return err }},
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
	if _, err := s.GetRefreshFamily(ctx, "fam"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetRefreshFamily: %v", err)
	}
	if us, err := s.ListUsers(ctx); err != nil || len(us) != 0 {
		t.Fatalf("ListUsers: %d, %v", len(us), err)
	}
}

// TestRefreshTokenFilledFromFamily checks that a token without family,
// client or subject takes its family's, and never outlives it.
func TestRefreshTokenFilledFromFamily(t *testing.T) {
	s := fresh(t)
	ctx := t.Context()
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", CreatedAt: clock, ExpiresAt: clock.Add(time.Hour)}
	if err := s.CreateRefreshToken(ctx, f, store.RefreshToken{ID: "t1", ExpiresAt: clock.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.GetRefreshToken(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if got.FamilyID != "fam" || got.ClientID != "web" || got.Subject != "alice" || !got.ExpiresAt.Equal(f.ExpiresAt) {
		t.Fatalf("first token: %+v", got)
	}
	if err := s.RotateRefreshToken(ctx, "t1", clock.Add(time.Minute), store.RefreshToken{ID: "t2", ExpiresAt: clock.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, _, err = s.GetRefreshToken(ctx, "t2")
	if err != nil {
		t.Fatal(err)
	}
	if got.FamilyID != "fam" || got.ClientID != "web" || got.Subject != "alice" || !got.ExpiresAt.Equal(f.ExpiresAt) {
		t.Fatalf("rotated token: %+v", got)
	}
	// A next token naming another family is refused, and t2 stays unused.
	err = s.RotateRefreshToken(ctx, "t2", clock.Add(2*time.Minute), store.RefreshToken{ID: "t3", FamilyID: "other", ExpiresAt: clock.Add(time.Hour)})
	if err == nil {
		t.Fatal("rotation into another family accepted")
	}
	got, fam, err := s.GetRefreshToken(ctx, "t2")
	if err != nil {
		t.Fatal(err)
	}
	if !got.UsedAt.IsZero() || fam.Revoked() {
		t.Fatalf("refused rotation changed t2: used %v, family revoked %v", got.UsedAt, fam.Revoked())
	}
}

func TestDeleteUserRevokesAtClock(t *testing.T) {
	s := fresh(t)
	ctx := t.Context()
	if err := s.CreateUser(ctx, store.User{Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: clock.Add(time.Hour)}
	if err := s.CreateRefreshToken(ctx, f, store.RefreshToken{ID: "t1", ExpiresAt: clock.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRefreshFamily(ctx, "fam")
	if err != nil {
		t.Fatal(err)
	}
	if !got.RevokedAt.Equal(clock) {
		t.Fatalf("RevokedAt %v, want the store's clock %v", got.RevokedAt, clock)
	}
}

// TestDeleteExpiredBatches removes more rows than one batch holds in one
// call.
func TestDeleteExpiredBatches(t *testing.T) {
	s := fresh(t)
	ctx := t.Context()
	const n = 25
	for i := range n {
		if err := s.RevokeAccessToken(ctx, "jti-"+string(rune('A'+i)), clock.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.deleteExpired(ctx, clock, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Fatalf("removed %d, want %d", got, n)
	}
}

// TestUpdaterPanics checks that a panicking updater does not leave the
// write transaction open.
func TestUpdaterPanics(t *testing.T) {
	s := fresh(t)
	ctx := t.Context()
	if err := s.CreateUser(ctx, store.User{Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic did not propagate")
			}
		}()
		_ = s.UpdateUser(ctx, "alice", func(u store.User) (store.User, error) { panic("updater bug") })
	}()
	if err := s.UpdateUser(ctx, "alice", func(u store.User) (store.User, error) {
		u.Email = "alice@example.com"
		return u, nil
	}); err != nil {
		t.Fatalf("UpdateUser after a panic: %v", err)
	}
	if u, err := s.GetUser(ctx, "alice"); err != nil || u.Email != "alice@example.com" {
		t.Fatalf("GetUser: %+v, %v", u, err)
	}
}

// TestStringsPostgreSQLRefuses checks that what PostgreSQL cannot store is
// refused with an error, not stored in another form.
func TestStringsPostgreSQLRefuses(t *testing.T) {
	s := fresh(t)
	ctx := t.Context()
	for _, name := range []string{"nul\x00byte", "bad\xffutf8"} {
		err := s.CreateUser(ctx, store.User{Username: name})
		if err == nil {
			t.Fatalf("CreateUser(%q) accepted", name)
		}
		if errors.Is(err, store.ErrAlreadyExists) || errors.Is(err, store.ErrNotFound) {
			t.Fatalf("CreateUser(%q): %v", name, err)
		}
	}
	if us, err := s.ListUsers(ctx); err != nil || len(us) != 0 {
		t.Fatalf("ListUsers: %d, %v", len(us), err)
	}
}

// TestListOrderIsBytewise checks the order of ListUsers against the
// database's collation, which for most locales puts "b" before "B_" and
// ignores punctuation.
func TestListOrderIsBytewise(t *testing.T) {
	s := fresh(t)
	ctx := t.Context()
	names := []string{"b", "B_", "a-c", "ab", "Z", "é", "_"}
	for _, n := range names {
		if err := s.CreateUser(ctx, store.User{Username: n}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateClient(ctx, store.Client{ID: "c" + n}); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"B_", "Z", "_", "a-c", "ab", "b", "é"}
	us, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := s.ListClients(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if us[i].Username != w || cs[i].ID != "c"+w {
			t.Fatalf("position %d: user %q, client %q; want %q", i, us[i].Username, cs[i].ID, w)
		}
	}
}
