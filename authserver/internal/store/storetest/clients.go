package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func sampleClient(id string) store.Client {
	return store.Client{
		ID:         id,
		SecretHash: []byte("0123456789abcdef0123456789abcdef" + id),
		Grants:     []string{"password", "refresh_token", "client_credentials"},
		Scopes:     []string{"items:read", "items:write"},
		Audience:   []string{"https://api.example.com", "https://other.example.com"},
		CreatedAt:  at(3 * time.Second),
		UpdatedAt:  at(4*time.Second + 5),
	}
}

func testClientRoundTrip(t *testing.T, s store.Store) {
	want := sampleClient("web")
	must(t, "CreateClient", s.CreateClient(ctx(t), want))
	got := getClient(t, s, "web")
	equal(t, "GetClient", got, want, normClient)
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if got.Public() {
		t.Fatal("confidential client came back public")
	}
}

func testPublicClient(t *testing.T, s store.Store) {
	want := store.Client{ID: "cli", Grants: []string{"password"}}
	must(t, "CreateClient", s.CreateClient(ctx(t), want))
	got := getClient(t, s, "cli")
	equal(t, "GetClient", got, want, normClient)
	if !got.Public() {
		t.Fatal("public client came back confidential")
	}
}

func testClientNotFound(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), sampleClient("web")))
	_, err := s.GetClient(ctx(t), "cli")
	wantErr(t, "GetClient", err, store.ErrNotFound)
	err = s.UpdateClient(ctx(t), "cli", func(c store.Client) (store.Client, error) { return c, nil })
	wantErr(t, "UpdateClient", err, store.ErrNotFound)
	wantErr(t, "DeleteClient", s.DeleteClient(ctx(t), "cli"), store.ErrNotFound)
}

func testClientAlreadyExists(t *testing.T, s store.Store) {
	first := sampleClient("web")
	must(t, "CreateClient", s.CreateClient(ctx(t), first))
	second := sampleClient("web")
	second.SecretHash = nil
	wantErr(t, "CreateClient again", s.CreateClient(ctx(t), second), store.ErrAlreadyExists)
	wantClient(t, s, "client after failed create", first)
}

func testListClients(t *testing.T, s store.Store) {
	cs, err := s.ListClients(ctx(t))
	must(t, "ListClients on empty store", err)
	if len(cs) != 0 {
		t.Fatalf("ListClients on empty store: got %d clients", len(cs))
	}
	want := []store.Client{sampleClient("a-app"), sampleClient("b-app"), sampleClient("c-app")}
	for _, i := range []int{1, 2, 0} {
		must(t, "CreateClient", s.CreateClient(ctx(t), want[i]))
	}
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("alice")))
	cs, err = s.ListClients(ctx(t))
	must(t, "ListClients", err)
	if len(cs) != len(want) {
		t.Fatalf("ListClients: got %d clients, want %d", len(cs), len(want))
	}
	for i := range want {
		equal(t, fmt.Sprintf("ListClients[%d]", i), cs[i], want[i], normClient)
	}
}

func testUpdateClient(t *testing.T, s store.Store) {
	orig := sampleClient("web")
	must(t, "CreateClient", s.CreateClient(ctx(t), orig))
	want := orig
	want.SecretHash = []byte("new secret hash")
	want.Grants = []string{"client_credentials"}
	want.Scopes = []string{"items:read"}
	want.Audience = []string{"https://new.example.com"}
	want.UpdatedAt = at(time.Hour)
	var seen store.Client
	err := s.UpdateClient(ctx(t), "web", func(c store.Client) (store.Client, error) {
		seen = c
		c.SecretHash, c.Grants, c.Scopes, c.Audience, c.UpdatedAt =
			want.SecretHash, want.Grants, want.Scopes, want.Audience, want.UpdatedAt
		return c, nil
	})
	must(t, "UpdateClient", err)
	equal(t, "updater's argument", seen, orig, normClient)
	wantClient(t, s, "GetClient after update", want)

	// Making it public.
	must(t, "UpdateClient to public", s.UpdateClient(ctx(t), "web", func(c store.Client) (store.Client, error) {
		c.SecretHash, c.Audience = nil, nil
		return c, nil
	}))
	got := getClient(t, s, "web")
	want.SecretHash, want.Audience = nil, nil
	equal(t, "GetClient after clearing", got, want, normClient)
	if !got.Public() {
		t.Fatal("client is not public after its secret was removed")
	}
}

func testUpdateClientError(t *testing.T, s store.Store) {
	orig := sampleClient("web")
	must(t, "CreateClient", s.CreateClient(ctx(t), orig))
	err := s.UpdateClient(ctx(t), "web", func(c store.Client) (store.Client, error) {
		c.SecretHash = nil
		c.Grants = nil
		return c, errTest
	})
	wantErr(t, "UpdateClient", err, errTest)
	wantClient(t, s, "client after refused update", orig)
}

func testUpdateClientKeepsKey(t *testing.T, s store.Store) {
	orig := sampleClient("web")
	must(t, "CreateClient", s.CreateClient(ctx(t), orig))
	_ = s.UpdateClient(ctx(t), "web", func(c store.Client) (store.Client, error) {
		c.ID = "evil"
		c.CreatedAt = at(-time.Hour)
		return c, nil
	})
	got := getClient(t, s, "web")
	if got.ID != "web" {
		t.Fatalf("ID: got %q, want web", got.ID)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, orig.CreatedAt)
	_, err := s.GetClient(ctx(t), "evil")
	wantErr(t, "GetClient of new ID", err, store.ErrNotFound)
	must(t, "CreateUser with the ID the updater tried", s.CreateUser(ctx(t), sampleUser("evil")))
}

func testDeleteClient(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), sampleClient("web")))
	must(t, "CreateClient", s.CreateClient(ctx(t), sampleClient("cli")))
	must(t, "DeleteClient", s.DeleteClient(ctx(t), "web"))
	_, err := s.GetClient(ctx(t), "web")
	wantErr(t, "GetClient after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteClient again", s.DeleteClient(ctx(t), "web"), store.ErrNotFound)
	cs, err := s.ListClients(ctx(t))
	must(t, "ListClients", err)
	if len(cs) != 1 || cs[0].ID != "cli" {
		t.Fatalf("ListClients after delete: got %+v", cs)
	}
	must(t, "CreateClient after delete", s.CreateClient(ctx(t), sampleClient("web")))
}

func testSubjectNamespace(t *testing.T, s store.Store) {
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("alice")))
	must(t, "CreateClient", s.CreateClient(ctx(t), sampleClient("web")))

	wantErr(t, "CreateClient with a user's name", s.CreateClient(ctx(t), sampleClient("alice")), store.ErrAlreadyExists)
	wantErr(t, "CreateUser with a client's ID", s.CreateUser(ctx(t), sampleUser("web")), store.ErrAlreadyExists)

	// The failed creations left nothing behind.
	_, err := s.GetClient(ctx(t), "alice")
	wantErr(t, "GetClient alice", err, store.ErrNotFound)
	_, err = s.GetUser(ctx(t), "web")
	wantErr(t, "GetUser web", err, store.ErrNotFound)
	if _, err := s.GetUser(ctx(t), "alice"); err != nil {
		t.Fatalf("GetUser alice: %v", err)
	}
	if _, err := s.GetClient(ctx(t), "web"); err != nil {
		t.Fatalf("GetClient web: %v", err)
	}
}

func testSubjectFreedByDelete(t *testing.T, s store.Store) {
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("alice")))
	must(t, "DeleteUser", s.DeleteUser(ctx(t), "alice"))
	must(t, "CreateClient with a deleted user's name", s.CreateClient(ctx(t), sampleClient("alice")))
	wantErr(t, "CreateUser with that name now", s.CreateUser(ctx(t), sampleUser("alice")), store.ErrAlreadyExists)
	must(t, "DeleteClient", s.DeleteClient(ctx(t), "alice"))
	must(t, "CreateUser with a deleted client's ID", s.CreateUser(ctx(t), sampleUser("alice")))
}

func testConcurrentUpdateClient(t *testing.T, s store.Store) {
	const n = 20
	must(t, "CreateClient", s.CreateClient(ctx(t), store.Client{ID: "web"}))
	errs := make([]error, n)
	race(n, func(i int) {
		errs[i] = s.UpdateClient(ctx(t), "web", func(c store.Client) (store.Client, error) {
			c.Scopes = addScope(c.Scopes, i)
			return c, nil
		})
	})
	for _, err := range errs {
		must(t, "UpdateClient", err)
	}
	assertAllScopes(t, getClient(t, s, "web").Scopes, n)
}

// testConcurrentSubjectClaims races a user and a client for each of several
// names: exactly one of each pair wins.
func testConcurrentSubjectClaims(t *testing.T, s store.Store) {
	const n = 10
	type result struct {
		name   string
		client bool
		err    error
	}
	results := make(chan result, 2*n)
	start := make(chan struct{})
	for i := range n {
		name := fmt.Sprintf("subject-%02d", i)
		go func() {
			<-start
			results <- result{name, false, s.CreateUser(ctx(t), sampleUser(name))}
		}()
		go func() {
			<-start
			results <- result{name, true, s.CreateClient(ctx(t), sampleClient(name))}
		}()
	}
	close(start)
	wins := map[string]int{}
	for range 2 * n {
		r := <-results
		switch {
		case r.err == nil:
			wins[r.name]++
		case !errors.Is(r.err, store.ErrAlreadyExists):
			t.Fatalf("create %s (client %v): %v", r.name, r.client, r.err)
		}
	}
	for i := range n {
		name := fmt.Sprintf("subject-%02d", i)
		if wins[name] != 1 {
			t.Fatalf("%s: %d creations succeeded, want 1", name, wins[name])
		}
		_, uerr := s.GetUser(ctx(t), name)
		_, cerr := s.GetClient(ctx(t), name)
		if (uerr == nil) == (cerr == nil) {
			t.Fatalf("%s: user lookup %v, client lookup %v; want exactly one to exist", name, uerr, cerr)
		}
	}
}
