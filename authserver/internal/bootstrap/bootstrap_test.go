package bootstrap

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

const (
	testPassword = "correct horse battery staple"
	testSecret   = "0123456789abcdefghijklmnopqrstuvwxyz-demo"
	testRPSecret = "relying-party-secret-0123456789abcdefgh"
)

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fullSpec() Spec {
	return Spec{
		Username:     "demo",
		Password:     testPassword,
		ClientID:     "demo-client",
		ClientSecret: testSecret,
		DocsClientID: "docs",

		DocsRedirectURIs: []string{"http://localhost:8000/docs/oauth2-redirect.html"},
		RPClientID:       "search-demo",
		RPClientSecret:   testRPSecret,
		RPRedirectURIs:   []string{"http://localhost:4180/oauth2/callback"},
		RPClientName:     "Search demo (oauth2-proxy)",

		Audience: []string{"search-api"},
		Scopes:   []string{"search"},
	}
}

func openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newHasher(t *testing.T) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(4, 1)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// newBootstrapper returns a Bootstrapper on st whose log goes to the
// returned buffer.
func newBootstrapper(t *testing.T, st Store) (*Bootstrapper, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	return New(st, newHasher(t), slog.New(slog.NewTextHandler(&log, nil)), func() time.Time { return testNow }), &log
}

func checkNoCredentials(t *testing.T, log string) {
	t.Helper()
	for _, s := range []string{testPassword, testSecret, testRPSecret} {
		if strings.Contains(log, s) {
			t.Errorf("log contains a password or secret:\n%s", log)
		}
	}
}

func TestRunCreatesEverything(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	b, log := newBootstrapper(t, st)

	ran, err := b.Run(ctx, fullSpec())
	if err != nil || !ran {
		t.Fatalf("Run = %v, %v; want true, nil", ran, err)
	}

	u, err := st.GetUser(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := newHasher(t).Verify(ctx, u.PasswordHash, testPassword); err != nil || !ok {
		t.Errorf("the user's hash does not verify the password (err %v)", err)
	}
	if !slices.Equal(u.Scopes, []string{"search"}) || u.Disabled || !u.CreatedAt.Equal(testNow) {
		t.Errorf("user = %+v; want scopes [search], enabled, created at %v", u, testNow)
	}

	tests := []struct {
		want   store.Client
		secret string
	}{
		{store.Client{
			ID:       "demo-client",
			Grants:   []string{"password", "client_credentials", "refresh_token"},
			Scopes:   []string{"search"},
			Audience: []string{"search-api"},
		}, testSecret},
		{store.Client{
			ID:           "docs",
			Name:         DocsClientName,
			Grants:       []string{"authorization_code", "password", "refresh_token"},
			Scopes:       []string{"search"},
			Audience:     []string{"search-api"},
			RedirectURIs: []string{"http://localhost:8000/docs/oauth2-redirect.html"},
			SkipConsent:  true,
		}, ""},
		{store.Client{
			ID:           "search-demo",
			Name:         "Search demo (oauth2-proxy)",
			Grants:       []string{"authorization_code", "refresh_token"},
			Scopes:       []string{"openid", "profile", "email", "search"},
			Audience:     []string{"search-api"},
			RedirectURIs: []string{"http://localhost:4180/oauth2/callback"},
		}, testRPSecret},
	}
	for _, tt := range tests {
		t.Run(tt.want.ID, func(t *testing.T) {
			c, err := st.GetClient(ctx, tt.want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Public() != (tt.secret == "") {
				t.Errorf("Public() = %v, want %v", c.Public(), tt.secret == "")
			}
			if tt.secret != "" && !secret.Equal(c.SecretHash, tt.secret) {
				t.Error("the stored secret hash does not match the secret")
			}
			got := c
			got.SecretHash, got.CreatedAt, got.UpdatedAt = nil, time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("client =\n%+v\nwant\n%+v", got, tt.want)
			}
			if !c.CreatedAt.Equal(testNow) {
				t.Errorf("created at %v, want %v", c.CreatedAt, testNow)
			}
		})
	}

	for _, want := range []string{"created the initial user", "user=demo", "client_id=demo-client", "client_id=docs", "client_id=search-demo"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log does not contain %q:\n%s", want, log)
		}
	}
	checkNoCredentials(t, log.String())
}

// TestRunDocsClientWithoutRedirectURIs: without redirect URIs the docs
// client keeps the password flow only, and asks for consent should it
// ever be given the authorization_code grant by hand.
func TestRunDocsClientWithoutRedirectURIs(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	b, _ := newBootstrapper(t, st)
	spec := fullSpec()
	spec.DocsRedirectURIs = nil
	if ran, err := b.Run(ctx, spec); err != nil || !ran {
		t.Fatalf("Run = %v, %v", ran, err)
	}
	c, err := st.GetClient(ctx, "docs")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Grants, PublicGrants) || len(c.RedirectURIs) != 0 || c.SkipConsent {
		t.Errorf("docs client = %+v; want grants %v, no redirect URIs, consent asked", c, PublicGrants)
	}
}

// TestRunOnlyOnce changes and deletes what the first run created, runs again
// with other settings, and expects nothing to be recreated or overwritten.
func TestRunOnlyOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	b, log := newBootstrapper(t, st)
	if ran, err := b.Run(ctx, fullSpec()); err != nil || !ran {
		t.Fatalf("first Run = %v, %v", ran, err)
	}

	newHash, err := newHasher(t).Hash(ctx, "a new password")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateUser(ctx, "demo", func(u store.User) (store.User, error) {
		u.PasswordHash = newHash
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteClient(ctx, "docs"); err != nil {
		t.Fatal(err)
	}

	again := fullSpec()
	again.ClientSecret = strings.Repeat("x", 40)
	again.Scopes = []string{"search", "admin"}
	ran, err := b.Run(ctx, again)
	if err != nil || ran {
		t.Fatalf("second Run = %v, %v; want false, nil", ran, err)
	}
	u, err := st.GetUser(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(u.PasswordHash, newHash) {
		t.Error("the second run overwrote the changed password")
	}
	if _, err := st.GetClient(ctx, "docs"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted client docs: GetClient error = %v, want ErrNotFound", err)
	}
	c, err := st.GetClient(ctx, "demo-client")
	if err != nil {
		t.Fatal(err)
	}
	if !secret.Equal(c.SecretHash, testSecret) || !slices.Equal(c.Scopes, []string{"search"}) {
		t.Error("the second run changed the confidential client")
	}
	if !strings.Contains(log.String(), "created by an earlier start") {
		t.Errorf("the second run did not say why it did nothing:\n%s", log)
	}
}

// TestRunDisabledLeavesStepUnclaimed: a start without bootstrap settings
// must not use up the one-time step.
func TestRunDisabledLeavesStepUnclaimed(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	b, _ := newBootstrapper(t, st)
	spec := fullSpec()
	spec.Username, spec.Password, spec.ClientID, spec.ClientSecret, spec.DocsClientID = "", "", "", "", ""
	spec.RPClientID, spec.RPClientSecret = "", ""
	if ran, err := b.Run(ctx, spec); err != nil || ran {
		t.Fatalf("Run(disabled) = %v, %v; want false, nil", ran, err)
	}
	if users, err := st.ListUsers(ctx); err != nil || len(users) != 0 {
		t.Errorf("Run(disabled) created users %v (err %v)", users, err)
	}
	if ran, err := b.Run(ctx, fullSpec()); err != nil || !ran {
		t.Fatalf("Run after a disabled run = %v, %v; want true, nil", ran, err)
	}
}

// TestRunInvalidLeavesStepUnclaimed: a mistake in the settings is reported
// before the claim, so the corrected settings work at the next start.
func TestRunInvalidLeavesStepUnclaimed(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	b, _ := newBootstrapper(t, st)
	bad := fullSpec()
	bad.ClientSecret = "short"
	if ran, err := b.Run(ctx, bad); err == nil || ran {
		t.Fatalf("Run(short secret) = %v, %v; want false and an error", ran, err)
	}
	if ran, err := b.Run(ctx, fullSpec()); err != nil || !ran {
		t.Fatalf("Run after an invalid run = %v, %v; want true, nil", ran, err)
	}
}

func TestRunPartsAreOptional(t *testing.T) {
	tests := []struct {
		name        string
		spec        Spec
		wantUsers   int
		wantClients []string
	}{
		{"user only", Spec{Username: "alice", Password: "pw"}, 1, nil},
		{"confidential client only", Spec{ClientID: "svc", ClientSecret: testSecret, Audience: []string{"api"}}, 0, []string{"svc"}},
		{"docs client only", Spec{DocsClientID: "docs", Audience: []string{"api"}}, 0, []string{"docs"}},
		{"relying party only", Spec{RPClientID: "rp", RPClientSecret: testRPSecret, RPRedirectURIs: []string{"https://rp.example/cb"}, Audience: []string{"api"}}, 0, []string{"rp"}},
		{"docs redirect URIs without the docs client", Spec{Username: "alice", Password: "pw", DocsRedirectURIs: []string{"https://api.example/docs/oauth2-redirect.html"}}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			b, _ := newBootstrapper(t, st)
			if ran, err := b.Run(ctx, tt.spec); err != nil || !ran {
				t.Fatalf("Run = %v, %v", ran, err)
			}
			users, err := st.ListUsers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			clients, err := st.ListClients(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range clients {
				ids = append(ids, c.ID)
			}
			if len(users) != tt.wantUsers || !slices.Equal(ids, tt.wantClients) {
				t.Errorf("created %d users and clients %v; want %d and %v", len(users), ids, tt.wantUsers, tt.wantClients)
			}
		})
	}
}

// TestRunStoresCanonicalName: the user is created under the one name the
// token endpoint looks up, whatever case the setting uses.
func TestRunStoresCanonicalName(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	b, _ := newBootstrapper(t, st)
	spec := fullSpec()
	spec.Username = "Demo"
	if ran, err := b.Run(ctx, spec); err != nil || !ran {
		t.Fatalf("Run = %v, %v", ran, err)
	}
	users, err := st.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].Username != "demo" {
		t.Errorf("users = %+v, want one named %q", users, "demo")
	}
}

// TestRunKeepsExistingNames: a user created by hand before the first start
// under the demo user's name is left as it is, and the rest is created.
func TestRunKeepsExistingNames(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	mine := store.User{Username: "demo", PasswordHash: []byte("$2a$04$existing"), CreatedAt: testNow, UpdatedAt: testNow}
	if err := st.CreateUser(ctx, mine); err != nil {
		t.Fatal(err)
	}
	b, log := newBootstrapper(t, st)
	if ran, err := b.Run(ctx, fullSpec()); err != nil || !ran {
		t.Fatalf("Run = %v, %v; want true, nil", ran, err)
	}
	u, err := st.GetUser(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(u.PasswordHash, mine.PasswordHash) {
		t.Error("Run replaced the password of an existing user")
	}
	if _, err := st.GetClient(ctx, "demo-client"); err != nil {
		t.Errorf("the confidential client was not created: %v", err)
	}
	if !strings.Contains(log.String(), "taken; left as it is") {
		t.Errorf("log does not mention the existing user:\n%s", log)
	}
}

// TestRunConcurrent: of several servers starting on one database at once,
// exactly one creates the data.
func TestRunConcurrent(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	const n = 4
	results := make(chan error, n)
	var claimed sync.Map
	var wg sync.WaitGroup
	for i := range n {
		b, _ := newBootstrapper(t, st)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ran, err := b.Run(ctx, fullSpec())
			if ran {
				claimed.Store(i, true)
			}
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	count := 0
	claimed.Range(func(any, any) bool { count++; return true })
	if count != 1 {
		t.Errorf("%d runs claimed the step, want 1", count)
	}
	if clients, err := st.ListClients(ctx); err != nil || len(clients) != 3 {
		t.Errorf("ListClients = %d clients (err %v), want 3", len(clients), err)
	}
}

// failingStore is a Store whose methods fail as configured.
type failingStore struct {
	claimErr   error
	userErr    error
	clientErrs map[string]error
	created    []string
}

var _ Store = (*failingStore)(nil)

func (f *failingStore) ClaimOnce(context.Context, string, time.Time) (bool, error) {
	return f.claimErr == nil, f.claimErr
}

func (f *failingStore) CreateUser(_ context.Context, u store.User) error {
	if f.userErr == nil {
		f.created = append(f.created, u.Username)
	}
	return f.userErr
}

func (f *failingStore) CreateClient(_ context.Context, c store.Client) error {
	err := f.clientErrs[c.ID]
	if err == nil {
		f.created = append(f.created, c.ID)
	}
	return err
}

func TestRunStoreErrors(t *testing.T) {
	errDisk := errors.New("disk I/O error")
	tests := []struct {
		name        string
		st          *failingStore
		wantRan     bool
		wantErr     []string
		wantCreated []string
	}{
		{
			name:    "claim fails",
			st:      &failingStore{claimErr: errDisk},
			wantErr: []string{"claiming", "disk I/O error"},
		},
		{
			name:        "user fails, clients still created",
			st:          &failingStore{userErr: errDisk},
			wantRan:     true,
			wantErr:     []string{`creating the initial user "demo"`, "disk I/O error", "authserver users add"},
			wantCreated: []string{"demo-client", "docs", "search-demo"},
		},
		{
			name:        "one client fails",
			st:          &failingStore{clientErrs: map[string]error{"demo-client": errDisk}},
			wantRan:     true,
			wantErr:     []string{`creating the initial confidential client "demo-client"`, "disk I/O error"},
			wantCreated: []string{"demo", "docs", "search-demo"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, log := newBootstrapper(t, tt.st)
			ran, err := b.Run(context.Background(), fullSpec())
			if ran != tt.wantRan {
				t.Errorf("ran = %v, want %v", ran, tt.wantRan)
			}
			if err == nil {
				t.Fatal("Run succeeded, want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			checkNoCredentials(t, err.Error())
			checkNoCredentials(t, log.String())
			if !slices.Equal(tt.st.created, tt.wantCreated) {
				t.Errorf("created %v, want %v", tt.st.created, tt.wantCreated)
			}
		})
	}
}

// failingHasher fails every Hash.
type failingHasher struct{}

func (failingHasher) Hash(context.Context, string) ([]byte, error) {
	return nil, errors.New("hasher unavailable")
}

// TestRunHashesBeforeClaiming: a failure to hash the password leaves the
// step unclaimed, so the next start creates the data.
func TestRunHashesBeforeClaiming(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	b := New(st, failingHasher{}, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return testNow })
	if ran, err := b.Run(ctx, fullSpec()); err == nil || ran {
		t.Fatalf("Run with a failing hasher = %v, %v; want false and an error", ran, err)
	}
	if clients, err := st.ListClients(ctx); err != nil || len(clients) != 0 {
		t.Errorf("Run with a failing hasher created clients %v (err %v)", clients, err)
	}
	good, _ := newBootstrapper(t, st)
	if ran, err := good.Run(ctx, fullSpec()); err != nil || !ran {
		t.Fatalf("Run after the failed one = %v, %v; want true, nil", ran, err)
	}
}
