package sqlstore

import (
	"errors"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// TestStringsPostgreSQLRefuses checks that what PostgreSQL cannot store is
// refused with an error, not stored in another form.
func TestStringsPostgreSQLRefuses(t *testing.T) {
	s := postgresBackend.fresh(t)
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
	s := postgresBackend.fresh(t)
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
