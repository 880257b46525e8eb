package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func sampleUser(name string) store.User {
	return store.User{
		Username:     name,
		Email:        name + "@example.com",
		FullName:     "Full Name of " + name,
		PasswordHash: []byte("$2a$10$abcdefghijklmnopqrstuv" + name),
		Scopes:       []string{"items:read", "me", "items:write"},
		Disabled:     false,
		CreatedAt:    at(time.Second),
		UpdatedAt:    at(2*time.Second + 1),
	}
}

func testUserRoundTrip(t *testing.T, s store.Store) {
	tests := []struct {
		name string
		user store.User
	}{
		{"all fields", sampleUser("alice")},
		{"disabled", func() store.User { u := sampleUser("bob"); u.Disabled = true; return u }()},
		{"unicode and odd bytes", store.User{
			Username:     "zoë",
			Email:        "zoë@exämple.com",
			FullName:     "Zoë \"Q\" O'Brien, [x] {y}",
			PasswordHash: []byte{0, 1, 2, 0xff, 0xfe, 0},
			Scopes:       []string{"a,b", `"quoted"`, "", "[]"},
			CreatedAt:    time.Date(1970, 1, 1, 0, 0, 0, 1, time.UTC),
			UpdatedAt:    time.Date(2200, 12, 31, 23, 59, 59, 999999999, time.UTC),
		}},
		{"times before 1970", store.User{
			Username:  "old",
			CreatedAt: time.Date(1900, 6, 1, 12, 0, 0, 7, time.UTC),
			UpdatedAt: time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.FixedZone("west", -8*3600)),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			must(t, "CreateUser", s.CreateUser(ctx(t), tc.user))
			got := getUser(t, s, tc.user.Username)
			equal(t, "GetUser", got, tc.user, normUser)
			sameTime(t, "CreatedAt", got.CreatedAt, tc.user.CreatedAt)
			sameTime(t, "UpdatedAt", got.UpdatedAt, tc.user.UpdatedAt)
		})
	}
}

func testUserZeroValues(t *testing.T, s store.Store) {
	u := store.User{Username: "minimal"}
	must(t, "CreateUser", s.CreateUser(ctx(t), u))
	got := getUser(t, s, u.Username)
	equal(t, "GetUser", got, u, normUser)
	if !got.CreatedAt.IsZero() || !got.UpdatedAt.IsZero() {
		t.Fatalf("zero times came back as %v, %v", got.CreatedAt, got.UpdatedAt)
	}
	if len(got.Scopes) != 0 || len(got.PasswordHash) != 0 {
		t.Fatalf("empty fields came back as %q, %q", got.Scopes, got.PasswordHash)
	}
}

func testUserNotFound(t *testing.T, s store.Store) {
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("alice")))
	_, err := s.GetUser(ctx(t), "bob")
	wantErr(t, "GetUser", err, store.ErrNotFound)
	_, err = s.GetUser(ctx(t), "Alice")
	wantErr(t, "GetUser with other case", err, store.ErrNotFound)
	err = s.UpdateUser(ctx(t), "bob", func(u store.User) (store.User, error) { return u, nil })
	wantErr(t, "UpdateUser", err, store.ErrNotFound)
	wantErr(t, "DeleteUser", s.DeleteUser(ctx(t), "bob"), store.ErrNotFound)
}

func testUserAlreadyExists(t *testing.T, s store.Store) {
	first := sampleUser("alice")
	must(t, "CreateUser", s.CreateUser(ctx(t), first))
	second := sampleUser("alice")
	second.Email = "other@example.com"
	wantErr(t, "CreateUser again", s.CreateUser(ctx(t), second), store.ErrAlreadyExists)
	wantUser(t, s, "user after failed create", first)
}

func testListUsers(t *testing.T, s store.Store) {
	us, err := s.ListUsers(ctx(t))
	must(t, "ListUsers on empty store", err)
	if len(us) != 0 {
		t.Fatalf("ListUsers on empty store: got %d users", len(us))
	}
	want := []store.User{sampleUser("alice"), sampleUser("bob"), sampleUser("carol")}
	for _, i := range []int{2, 0, 1} {
		must(t, "CreateUser", s.CreateUser(ctx(t), want[i]))
	}
	must(t, "CreateClient", s.CreateClient(ctx(t), sampleClient("app")))
	us, err = s.ListUsers(ctx(t))
	must(t, "ListUsers", err)
	if len(us) != len(want) {
		t.Fatalf("ListUsers: got %d users, want %d", len(us), len(want))
	}
	for i := range want {
		equal(t, fmt.Sprintf("ListUsers[%d]", i), us[i], want[i], normUser)
	}
}

func testUpdateUser(t *testing.T, s store.Store) {
	orig := sampleUser("alice")
	must(t, "CreateUser", s.CreateUser(ctx(t), orig))

	want := orig
	want.Email = "new@example.com"
	want.FullName = "Alice Liddell"
	want.PasswordHash = []byte("$2a$10$newhash")
	want.Scopes = []string{"me"}
	want.Disabled = true
	want.UpdatedAt = at(time.Hour)
	var seen store.User
	err := s.UpdateUser(ctx(t), "alice", func(u store.User) (store.User, error) {
		seen = u
		u.Email, u.FullName, u.PasswordHash = want.Email, want.FullName, want.PasswordHash
		u.Scopes, u.Disabled, u.UpdatedAt = want.Scopes, want.Disabled, want.UpdatedAt
		return u, nil
	})
	must(t, "UpdateUser", err)
	equal(t, "updater's argument", seen, orig, normUser)
	wantUser(t, s, "GetUser after update", want)

	// Clearing fields.
	must(t, "UpdateUser clearing", s.UpdateUser(ctx(t), "alice", func(u store.User) (store.User, error) {
		u.Scopes, u.PasswordHash, u.Disabled, u.Email = nil, nil, false, ""
		return u, nil
	}))
	want.Scopes, want.PasswordHash, want.Disabled, want.Email = nil, nil, false, ""
	wantUser(t, s, "GetUser after clearing", want)
}

func testUpdateUserError(t *testing.T, s store.Store) {
	orig := sampleUser("alice")
	must(t, "CreateUser", s.CreateUser(ctx(t), orig))
	err := s.UpdateUser(ctx(t), "alice", func(u store.User) (store.User, error) {
		u.Email = "changed@example.com"
		u.Disabled = true
		return u, errTest
	})
	wantErr(t, "UpdateUser", err, errTest)
	wantUser(t, s, "user after refused update", orig)
}

// testUpdateUserKeepsKey checks that an updater cannot rename a user or
// change its creation time, whether the backend ignores the change or
// refuses the update.
func testUpdateUserKeepsKey(t *testing.T, s store.Store) {
	orig := sampleUser("alice")
	must(t, "CreateUser", s.CreateUser(ctx(t), orig))
	_ = s.UpdateUser(ctx(t), "alice", func(u store.User) (store.User, error) {
		u.Username = "mallory"
		u.CreatedAt = at(-time.Hour)
		return u, nil
	})
	got := getUser(t, s, "alice")
	if got.Username != "alice" {
		t.Fatalf("Username: got %q, want alice", got.Username)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, orig.CreatedAt)
	_, err := s.GetUser(ctx(t), "mallory")
	wantErr(t, "GetUser of new name", err, store.ErrNotFound)
	wantErr(t, "CreateClient with new name", s.CreateClient(ctx(t), sampleClient("alice")), store.ErrAlreadyExists)
	must(t, "CreateClient with the name the updater tried", s.CreateClient(ctx(t), sampleClient("mallory")))
}

func testDeleteUser(t *testing.T, s store.Store) {
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("alice")))
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("bob")))
	must(t, "DeleteUser", s.DeleteUser(ctx(t), "alice"))
	_, err := s.GetUser(ctx(t), "alice")
	wantErr(t, "GetUser after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteUser again", s.DeleteUser(ctx(t), "alice"), store.ErrNotFound)
	if _, err := s.GetUser(ctx(t), "bob"); err != nil {
		t.Fatalf("GetUser of another user: %v", err)
	}
	us, err := s.ListUsers(ctx(t))
	must(t, "ListUsers", err)
	if len(us) != 1 || us[0].Username != "bob" {
		t.Fatalf("ListUsers after delete: got %+v", us)
	}
	// The name can be used again.
	again := sampleUser("alice")
	again.Email = "again@example.com"
	must(t, "CreateUser after delete", s.CreateUser(ctx(t), again))
	wantUser(t, s, "recreated user", again)
}

func testConcurrentUpdateUser(t *testing.T, s store.Store) {
	const n = 20
	must(t, "CreateUser", s.CreateUser(ctx(t), store.User{Username: "alice"}))
	errs := make([]error, n)
	race(n, func(i int) {
		errs[i] = s.UpdateUser(ctx(t), "alice", func(u store.User) (store.User, error) {
			u.Scopes = addScope(u.Scopes, i)
			return u, nil
		})
	})
	for _, err := range errs {
		must(t, "UpdateUser", err)
	}
	assertAllScopes(t, getUser(t, s, "alice").Scopes, n)
}

// addScope adds scope-i, one of those assertAllScopes looks for, to scopes.
func addScope(scopes []string, i int) []string {
	return append(scopes, fmt.Sprintf("scope-%02d", i))
}

// assertAllScopes fails t unless scopes holds scope-00 to scope-(n-1), each
// once.
func assertAllScopes(t *testing.T, scopes []string, n int) {
	t.Helper()
	if len(scopes) != n {
		t.Fatalf("got %d scopes, want %d (lost updates): %q", len(scopes), n, scopes)
	}
	seen := map[string]bool{}
	for _, sc := range scopes {
		seen[sc] = true
	}
	for i := range n {
		if sc := fmt.Sprintf("scope-%02d", i); !seen[sc] {
			t.Fatalf("update adding %s was lost: %q", sc, scopes)
		}
	}
}
