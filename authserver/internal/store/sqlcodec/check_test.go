package sqlcodec

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// TestChecks checks what each check accepts and the message it refuses
// with; the backends prefix that message with themselves and the operation.
func TestChecks(t *testing.T) {
	now := time.Date(2031, 1, 2, 3, 4, 5, 6, time.UTC)
	tooEarly := MinTime.Add(-time.Nanosecond)
	tooLate := MaxTime.Add(time.Nanosecond)
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: now.Add(time.Hour)}
	tok := store.RefreshToken{ID: "t1", FamilyID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: now.Add(time.Minute)}
	// refresh checks f and tok with change applied to copies of them.
	refresh := func(change func(f *store.RefreshFamily, t *store.RefreshToken)) func() error {
		return func() error {
			f, tok := f, tok
			change(&f, &tok)
			return CheckRefreshToken(f, &tok)
		}
	}
	// rotation checks a rotation at now to tok with change applied.
	rotation := func(now time.Time, change func(t *store.RefreshToken)) func() error {
		return func() error {
			tok := tok
			change(&tok)
			return CheckRotation(now, tok)
		}
	}
	same := func(*store.RefreshToken) {}
	tests := []struct {
		name  string
		check func() error
		want  string // "" to accept
	}{
		{"user", func() error { return CheckUser(store.User{Username: "u", CreatedAt: now}) }, ""},
		{"user without name", func() error { return CheckUser(store.User{}) }, "empty username"},
		{"user time too early", func() error { return CheckUser(store.User{Username: "u", CreatedAt: tooEarly}) }, ErrTimeRange.Error()},
		{"user updated too late", func() error { return CheckUser(store.User{Username: "u", UpdatedAt: tooLate}) }, ErrTimeRange.Error()},

		{"client", func() error { return CheckClient(store.Client{ID: "c", UpdatedAt: now}) }, ""},
		{"client without id", func() error { return CheckClient(store.Client{}) }, "empty id"},
		{"client time too late", func() error { return CheckClient(store.Client{ID: "c", UpdatedAt: tooLate}) }, ErrTimeRange.Error()},

		{"refresh token", refresh(func(*store.RefreshFamily, *store.RefreshToken) {}), ""},
		{"family without id", refresh(func(f *store.RefreshFamily, _ *store.RefreshToken) { f.ID = "" }), "empty id"},
		{"token without id", refresh(func(_ *store.RefreshFamily, t *store.RefreshToken) { t.ID = "" }), "empty id"},
		{"family without expiry", refresh(func(f *store.RefreshFamily, _ *store.RefreshToken) { f.ExpiresAt = time.Time{} }), "expiry time is required"},
		{"token without expiry", refresh(func(_ *store.RefreshFamily, t *store.RefreshToken) { t.ExpiresAt = time.Time{} }), "expiry time is required"},
		{"family revoked too late", refresh(func(f *store.RefreshFamily, _ *store.RefreshToken) { f.RevokedAt = tooLate }), ErrTimeRange.Error()},
		{"token used too early", refresh(func(_ *store.RefreshFamily, t *store.RefreshToken) { t.UsedAt = tooEarly }), ErrTimeRange.Error()},
		{"token of another family", refresh(func(_ *store.RefreshFamily, t *store.RefreshToken) { t.FamilyID = "other" }), "refresh token family does not match its family"},
		{"token of another client", refresh(func(_ *store.RefreshFamily, t *store.RefreshToken) { t.ClientID = "cli" }), "refresh token client does not match its family"},
		{"token of another subject", refresh(func(_ *store.RefreshFamily, t *store.RefreshToken) { t.Subject = "bob" }), "refresh token subject does not match its family"},

		{"rotation", rotation(now, same), ""},
		{"rotation without id", rotation(now, func(t *store.RefreshToken) { t.ID = "" }), "empty id"},
		{"rotation at zero time", rotation(time.Time{}, same), "expiry time is required"},
		{"rotation to a token without expiry", rotation(now, func(t *store.RefreshToken) { t.ExpiresAt = time.Time{} }), "expiry time is required"},
		{"rotation to a token created too late", rotation(now, func(t *store.RefreshToken) { t.CreatedAt = tooLate }), ErrTimeRange.Error()},

		{"revocation", func() error { return CheckRevocation("jti", now) }, ""},
		{"revocation without jti", func() error { return CheckRevocation("", now) }, "empty jti"},
		{"revocation without expiry", func() error { return CheckRevocation("jti", time.Time{}) }, "expiry time is required"},

		{"signing key", func() error { return CheckSigningKey(store.SigningKey{ID: "k", PrivateKey: []byte{1}}) }, ""},
		{"signing key without id", func() error { return CheckSigningKey(store.SigningKey{PrivateKey: []byte{1}}) }, "empty id"},
		{"signing key without private key", func() error { return CheckSigningKey(store.SigningKey{ID: "k", Algorithm: "ES256"}) }, "empty private key"},
		{"signing key activating too late", func() error {
			return CheckSigningKey(store.SigningKey{ID: "k", PrivateKey: []byte{1}, ActivatesAt: tooLate})
		}, ErrTimeRange.Error()},

		{"claim", func() error { return CheckClaim("demo-data", now) }, ""},
		{"claim at zero time", func() error { return CheckClaim("demo-data", time.Time{}) }, ""},
		{"claim without name", func() error { return CheckClaim("", now) }, "empty name"},
		{"claim too early", func() error { return CheckClaim("demo-data", tooEarly) }, ErrTimeRange.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.check()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("got %v, want %q", err, tc.want)
			case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyExists):
				t.Fatalf("got %v, want a validation error", err)
			}
		})
	}
}

// TestCheckRefreshTokenFills checks that the first token is completed from
// its family.
func TestCheckRefreshTokenFills(t *testing.T) {
	exp := time.Date(2031, 1, 2, 3, 4, 5, 6, time.UTC)
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: exp}
	tok := store.RefreshToken{ID: "t1", ExpiresAt: exp.Add(time.Hour)}
	if err := CheckRefreshToken(f, &tok); err != nil {
		t.Fatal(err)
	}
	want := store.RefreshToken{ID: "t1", FamilyID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: exp}
	if !reflect.DeepEqual(tok, want) {
		t.Fatalf("got %+v, want %+v", tok, want)
	}
}
