package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

// result is what one run of Main produced.
type result struct {
	code   int
	stdout string
	stderr string
}

// harness runs Main against one SQLite file in a temporary directory, with
// the cheapest bcrypt cost.
type harness struct {
	t   *testing.T
	db  string
	env map[string]string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{
		t:  t,
		db: filepath.Join(t.TempDir(), "auth.db"),
	}
	h.env = map[string]string{"AUTH_DB": h.db, "AUTH_BCRYPT_COST": "4"}
	h.ok("", "migrate")
	return h
}

func (h *harness) getenv(k string) string { return h.env[k] }

// in returns h reporting to t, for use in a subtest.
func (h *harness) in(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

func (h *harness) run(stdin string, args ...string) result {
	h.t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, h.getenv)
	return result{code, stdout.String(), stderr.String()}
}

// ok runs Main and fails the test unless it exits 0.
func (h *harness) ok(stdin string, args ...string) result {
	h.t.Helper()
	r := h.run(stdin, args...)
	if r.code != ExitOK {
		h.t.Fatalf("authserver %s: exit %d, want 0\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// fails runs Main and fails the test unless it exits with code and its
// stderr contains want.
func (h *harness) fails(code int, want, stdin string, args ...string) result {
	h.t.Helper()
	r := h.run(stdin, args...)
	if r.code != code {
		h.t.Errorf("authserver %q: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		h.t.Errorf("authserver %q: stderr %q does not contain %q", args, r.stderr, want)
	}
	if !strings.HasPrefix(r.stderr, "authserver: ") {
		h.t.Errorf("authserver %q: stderr %q does not start with %q", args, r.stderr, "authserver: ")
	}
	return r
}

// store opens the harness's database directly, to check what the commands
// stored and to set up what they act on.
func (h *harness) store() *sqlstore.Store {
	h.t.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), h.db)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { st.Close() })
	return st
}

func checkPasswordIs(t *testing.T, hash []byte, pw string) {
	t.Helper()
	hasher, err := password.NewHasher(4, 1)
	if err != nil {
		t.Fatal(err)
	}
	ok, _, err := hasher.Verify(context.Background(), hash, pw)
	if err != nil || !ok {
		t.Errorf("stored hash does not verify password %q (err %v)", pw, err)
	}
}

// addFamily starts the refresh-token family id for subject.
func addFamily(t *testing.T, st store.Store, id, client, subject string) {
	t.Helper()
	now := time.Now()
	f := store.RefreshFamily{ID: id, ClientID: client, Subject: subject, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	tok := store.RefreshToken{
		ID: hex.EncodeToString(secret.Hash("token of " + id)), FamilyID: id, ClientID: client, Subject: subject,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	}
	if err := st.CreateRefreshToken(context.Background(), f, tok); err != nil {
		t.Fatal(err)
	}
}

func familyRevoked(t *testing.T, st store.Store, id string) bool {
	t.Helper()
	f, err := st.GetRefreshFamily(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return f.Revoked()
}

func TestMigrate(t *testing.T) {
	h := newHarness(t)
	r := h.ok("", "migrate")
	if !regexp.MustCompile(`schema version [1-9]`).MatchString(r.stdout) {
		t.Errorf("migrate printed %q, want the schema version", r.stdout)
	}
	v, err := h.store().SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := "schema version " + strconv.Itoa(v); !strings.Contains(r.stdout, want) {
		t.Errorf("migrate printed %q, want %q", r.stdout, want)
	}
}

func TestMissingDatabase(t *testing.T) {
	h := newHarness(t)
	missing := filepath.Join(t.TempDir(), "typo.db")
	h.env["AUTH_DB"] = missing
	h.fails(ExitFailure, "does not exist", "", "users", "list")
	h.fails(ExitFailure, "does not exist", "pw\n", "users", "add", "bob")
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a command on a missing database created it (stat: %v)", err)
	}
}

func TestUsersLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()

	r := h.ok("correct horse battery\r\n", "users", "add", "bob", "--email", "bob@example.com",
		"--full-name", "Bob Builder", "--scopes", "read, write,read")
	if !strings.Contains(r.stdout, `user "bob" added`) {
		t.Errorf("users add printed %q", r.stdout)
	}
	st := h.store()
	u, err := st.GetUser(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "bob@example.com" || u.FullName != "Bob Builder" || strings.Join(u.Scopes, " ") != "read write" || u.Disabled {
		t.Errorf("stored user = %+v", u)
	}
	checkPasswordIs(t, u.PasswordHash, "correct horse battery")
	if !bytes.HasPrefix(u.PasswordHash, []byte("$2a$04$")) {
		t.Errorf("hash %q is not bcrypt at cost 4", u.PasswordHash)
	}

	// Flags before the name work too, and only the first line is the password.
	h.ok("second-password\nignored\n", "users", "add", "--email", "al@example.com", "alice")
	u, err = st.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	checkPasswordIs(t, u.PasswordHash, "second-password")

	h.fails(ExitFailure, `user "bob" already exists`, "pw-pw-pw\n", "users", "add", "bob")

	r = h.ok("", "users", "list")
	for _, want := range []string{"NAME", "EMAIL", "FULL NAME", "SCOPES", "DISABLED", "bob", "bob@example.com", "Bob Builder", "read,write", "alice", "(any)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("users list does not show %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "$2a$") {
		t.Errorf("users list shows a password hash:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`(?m)^bob .*\bno$`).MatchString(r.stdout) {
		t.Errorf("users list does not show bob enabled:\n%s", r.stdout)
	}

	// disable: the user is disabled and its refresh families revoked.
	h.ok("", "clients", "add", "web", "--public", "--grants", "password,refresh_token", "--audience", "api")
	addFamily(t, st, "fam-bob-1", "web", "bob")
	addFamily(t, st, "fam-alice-1", "web", "alice")
	h.ok("", "users", "disable", "bob")
	if u, _ := st.GetUser(ctx, "bob"); !u.Disabled {
		t.Error("bob is not disabled")
	}
	if !familyRevoked(t, st, "fam-bob-1") {
		t.Error("users disable left bob's refresh family active")
	}
	if familyRevoked(t, st, "fam-alice-1") {
		t.Error("users disable bob revoked alice's refresh family")
	}
	r = h.ok("", "users", "list")
	if !regexp.MustCompile(`(?m)^bob .*\byes$`).MatchString(r.stdout) {
		t.Errorf("users list does not show bob disabled:\n%s", r.stdout)
	}

	h.ok("", "users", "enable", "bob")
	if u, _ := st.GetUser(ctx, "bob"); u.Disabled {
		t.Error("bob is still disabled")
	}

	// passwd: new hash, families revoked.
	addFamily(t, st, "fam-bob-2", "web", "bob")
	h.ok("a new password\n", "users", "passwd", "bob")
	u, _ = st.GetUser(ctx, "bob")
	checkPasswordIs(t, u.PasswordHash, "a new password")
	if !familyRevoked(t, st, "fam-bob-2") {
		t.Error("users passwd left bob's refresh family active")
	}

	h.ok("", "users", "delete", "bob")
	if _, err := st.GetUser(ctx, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser after delete: %v, want ErrNotFound", err)
	}
	r = h.ok("", "users", "list")
	if regexp.MustCompile(`(?m)^bob `).MatchString(r.stdout) {
		t.Errorf("users list still shows bob:\n%s", r.stdout)
	}

	for _, cmd := range []string{"delete", "disable", "enable", "passwd"} {
		t.Run("missing user "+cmd, func(t *testing.T) {
			h.in(t).fails(ExitFailure, `user "bob" does not exist`, "pw-pw-pw\n", "users", cmd, "bob")
		})
	}
}

// TestUsersLookAlikeNames: every users command normalises the name (RFC
// 8265), so look-alike spellings are one user and cannot make a second.
func TestUsersLookAlikeNames(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.ok("first-password\n", "users", "add", "\u212Aelvin") // Kelvin sign
	if !strings.Contains(r.stdout, `user "kelvin" added`) {
		t.Errorf("users add printed %q", r.stdout)
	}
	for _, name := range []string{"kelvin", "Kelvin", "KELVIN", "ｋｅｌｖｉｎ"} {
		h.fails(ExitFailure, `user "kelvin" already exists`, "second-password\n", "users", "add", name)
	}
	users, err := h.store().ListUsers(ctx)
	if err != nil || len(users) != 1 || users[0].Username != "kelvin" {
		t.Fatalf("users = %+v, %v; want kelvin alone", users, err)
	}
	h.ok("", "users", "disable", "KELVIN")
	if u, _ := h.store().GetUser(ctx, "kelvin"); !u.Disabled {
		t.Error("users disable KELVIN did not disable kelvin")
	}
	h.ok("", "users", "enable", "\u212Aelvin")
	h.ok("new-password\n", "users", "passwd", "Kelvin")
	u, _ := h.store().GetUser(ctx, "kelvin")
	checkPasswordIs(t, u.PasswordHash, "new-password")
	h.fails(ExitUsage, "control or invisible character", "", "users", "disable", "kel\x00vin")
	h.ok("", "users", "delete", "KeLvIn")
	if _, err := h.store().GetUser(ctx, "kelvin"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser after delete: %v", err)
	}
}

func TestUsersPassword(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name  string
		stdin string
		want  string // stderr substring; "" for success
	}{
		{"no input", "", "no password: standard input is empty"},
		{"empty line", "\n", "the password is empty"},
		{"empty line crlf", "\r\n", "the password is empty"},
		{"73 bytes", strings.Repeat("x", 73) + "\n", "longer than 72 bytes"},
		{"huge line", strings.Repeat("x", 5000), "longer than 1024 bytes"},
		{"72 bytes", strings.Repeat("y", 72) + "\n", ""},
		{"no line ending", "p@ss word", ""},
		{"inner spaces kept", "  spaced  \n", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.in(t)
			name := "user" + string(rune('a'+i))
			if tt.want != "" {
				r := h.fails(ExitFailure, tt.want, tt.stdin, "users", "add", name)
				if len(tt.stdin) > 2 && strings.Contains(r.stderr, strings.TrimSpace(tt.stdin)) {
					t.Errorf("stderr repeats the password: %q", r.stderr)
				}
				if _, err := h.store().GetUser(context.Background(), name); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("a rejected password still created the user (GetUser: %v)", err)
				}
				return
			}
			h.ok(tt.stdin, "users", "add", name)
			u, err := h.store().GetUser(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			checkPasswordIs(t, u.PasswordHash, strings.TrimSuffix(tt.stdin, "\n"))
		})
	}
	h.ok("old-password\n", "users", "add", "carol")
	h.fails(ExitFailure, "longer than 72 bytes", strings.Repeat("z", 80)+"\n", "users", "passwd", "carol")
	u, _ := h.store().GetUser(context.Background(), "carol")
	checkPasswordIs(t, u.PasswordHash, "old-password")
}

func TestClients(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	st := h.store()

	// Confidential client with a generated secret.
	r := h.ok("", "clients", "add", "web", "--grants", "password,refresh_token", "--scopes", "read,write", "--audience", "https://api.example.com")
	sec := strings.TrimSpace(r.stdout)
	if err := secret.Validate(sec); err != nil || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("clients add printed %q, want one line with a secret (%v)", r.stdout, err)
	}
	if strings.Contains(r.stderr, sec) {
		t.Errorf("stderr shows the secret: %q", r.stderr)
	}
	c, err := st.GetClient(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.SecretHash, secret.Hash(sec)) {
		t.Error("stored secret hash is not the hash of the printed secret")
	}
	if strings.Join(c.Grants, " ") != "password refresh_token" || strings.Join(c.Scopes, " ") != "read write" ||
		strings.Join(c.Audience, " ") != "https://api.example.com" {
		t.Errorf("stored client = %+v", c)
	}

	// Public client: no secret.
	r = h.ok("", "clients", "add", "spa", "--public", "--grants", "password", "--audience", "api,other-api")
	if !strings.Contains(r.stdout, `public client "spa" added`) {
		t.Errorf("clients add --public printed %q", r.stdout)
	}
	c, err = st.GetClient(ctx, "spa")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Public() || strings.Join(c.Audience, " ") != "api other-api" {
		t.Errorf("stored public client = %+v", c)
	}

	// Secret from stdin.
	chosen := "a-chosen-secret-of-forty-characters-0123"
	r = h.ok(chosen+"\n", "clients", "add", "svc", "--grants", "client_credentials", "--audience", "api", "--secret-stdin")
	if strings.Contains(r.stdout+r.stderr, chosen) {
		t.Errorf("clients add --secret-stdin echoed the secret: %q %q", r.stdout, r.stderr)
	}
	c, _ = st.GetClient(ctx, "svc")
	if !bytes.Equal(c.SecretHash, secret.Hash(chosen)) {
		t.Error("stored hash is not the hash of the secret from stdin")
	}

	// A short secret from stdin is refused, without echoing it.
	short := "too-short-secret"
	r = h.fails(ExitFailure, "shorter than 32 characters", short+"\n", "clients", "add", "svc2", "--grants", "client_credentials", "--audience", "api", "--secret-stdin")
	if strings.Contains(r.stdout+r.stderr, short) {
		t.Errorf("the refused secret was echoed: %q %q", r.stdout, r.stderr)
	}
	if _, err := st.GetClient(ctx, "svc2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused secret still created the client (GetClient: %v)", err)
	}
	h.fails(ExitFailure, "only visible ASCII", "a secret with spaces in it, long enough\n", "clients", "add", "svc2",
		"--grants", "client_credentials", "--audience", "api", "--secret-stdin")

	h.fails(ExitFailure, `client "web" already exists`, "", "clients", "add", "web", "--grants", "password", "--audience", "api")

	// list never shows a secret or its hash.
	r = h.ok("", "clients", "list")
	for _, want := range []string{"ID", "TYPE", "GRANTS", "SCOPES", "AUDIENCE", "web", "confidential", "password,refresh_token",
		"read,write", "https://api.example.com", "spa", "public", "api,other-api", "svc", "client_credentials"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("clients list does not show %q:\n%s", want, r.stdout)
		}
	}
	web, _ := st.GetClient(ctx, "web")
	for _, leak := range []string{sec, chosen, string(web.SecretHash), hex.EncodeToString(web.SecretHash)} {
		if strings.Contains(r.stdout, leak) {
			t.Errorf("clients list shows a secret or hash:\n%s", r.stdout)
		}
	}

	// rotate-secret prints a new secret once and stores its hash.
	r = h.ok("", "clients", "rotate-secret", "web")
	newSec := strings.TrimSpace(r.stdout)
	if secret.Validate(newSec) != nil || newSec == sec {
		t.Errorf("rotate-secret printed %q, want a new secret", r.stdout)
	}
	c, _ = st.GetClient(ctx, "web")
	if !bytes.Equal(c.SecretHash, secret.Hash(newSec)) {
		t.Error("rotate-secret did not store the new secret's hash")
	}
	rotated := "another-chosen-secret-of-forty-chars-xyz"
	r = h.ok(rotated+"\n", "clients", "rotate-secret", "web", "--secret-stdin")
	if strings.Contains(r.stdout+r.stderr, rotated) {
		t.Errorf("rotate-secret --secret-stdin echoed the secret")
	}
	c, _ = st.GetClient(ctx, "web")
	if !bytes.Equal(c.SecretHash, secret.Hash(rotated)) {
		t.Error("rotate-secret --secret-stdin did not store the new secret's hash")
	}
	h.fails(ExitFailure, `client "spa" is public`, "", "clients", "rotate-secret", "spa")
	h.fails(ExitFailure, `client "nope" does not exist`, "", "clients", "rotate-secret", "nope")

	// Users and clients share one namespace.
	h.fails(ExitFailure, `"web" is already a client's ID`, "pw-pw-pw\n", "users", "add", "web")
	h.ok("pw-pw-pw\n", "users", "add", "dave")
	h.fails(ExitFailure, `"dave" is already a user's name`, "", "clients", "add", "dave", "--grants", "password", "--audience", "api")

	// delete revokes the client's refresh families.
	addFamily(t, st, "fam-web-1", "web", "dave")
	h.ok("", "clients", "delete", "web")
	if _, err := st.GetClient(ctx, "web"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetClient after delete: %v", err)
	}
	if !familyRevoked(t, st, "fam-web-1") {
		t.Error("clients delete left the client's refresh family active")
	}
	h.fails(ExitFailure, `client "web" does not exist`, "", "clients", "delete", "web")
}

func TestKeys(t *testing.T) {
	h := newHarness(t)
	h.env["AUTH_SIGNING_ALG"] = "ES256"
	kidRE := regexp.MustCompile(`new ES256 signing key (\S+) published; it signs (?:at once|from (\S+) \(in (\S+)\))`)

	// With no active key, the first key signs at once.
	r := h.ok("", "keys", "rotate")
	m := kidRE.FindStringSubmatch(r.stdout)
	if m == nil || m[3] != "" {
		t.Fatalf("first keys rotate printed %q, want a key that signs at once", r.stdout)
	}
	first := m[1]

	// The next one waits, here for --activate-after.
	r = h.ok("", "keys", "rotate", "--activate-after", "1h")
	m = kidRE.FindStringSubmatch(r.stdout)
	if m == nil || m[3] != "1h" {
		t.Fatalf("keys rotate --activate-after 1h printed %q", r.stdout)
	}
	next, activates := m[1], m[2]

	keys, err := h.store().ListSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("stored %d keys, want 2", len(keys))
	}
	for _, k := range keys {
		want := time.Duration(0)
		if k.ID == next {
			want = time.Hour
		}
		if d := k.ActivatesAt.Sub(k.CreatedAt); d != want || k.Algorithm != "ES256" {
			t.Errorf("key %s: %s activates %s after creation, want ES256 and %s", k.ID, k.Algorithm, d, want)
		}
	}

	r = h.ok("", "keys", "list")
	for _, want := range []string{"KID", "ALG", "STATE", "CREATED", "ACTIVATES", "RETIRED", "UNPUBLISHED AFTER", activates} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("keys list does not show %q:\n%s", want, r.stdout)
		}
	}
	state := func(kid string) string {
		row := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(kid) + `\s+ES256\s+(\S+)`).FindStringSubmatch(r.stdout)
		if row == nil {
			t.Errorf("keys list has no row for %s:\n%s", kid, r.stdout)
			return ""
		}
		return row[1]
	}
	if got := state(first); got != "active" {
		t.Errorf("first key is %q, want active", got)
	}
	if got := state(next); got != "next" {
		t.Errorf("new key is %q, want next", got)
	}
	// The active key retires when the next one activates.
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(first) + `\s.*` + regexp.QuoteMeta(activates)).MatchString(r.stdout) {
		t.Errorf("keys list does not show the first key retiring at %s:\n%s", activates, r.stdout)
	}

	// Without --activate-after the setting applies.
	h.env["AUTH_KEY_ACTIVATE_AFTER"] = "2h"
	r = h.ok("", "keys", "rotate")
	if m := kidRE.FindStringSubmatch(r.stdout); m == nil || m[3] != "2h" {
		t.Errorf("keys rotate with AUTH_KEY_ACTIVATE_AFTER=2h printed %q", r.stdout)
	}
}

func TestHealthcheck(t *testing.T) {
	tests := []struct {
		name   string
		status int
		want   int
	}{
		{"ok", http.StatusOK, ExitOK},
		{"server error", http.StatusInternalServerError, ExitFailure},
		{"unavailable", http.StatusServiceUnavailable, ExitFailure},
		{"redirect not followed", http.StatusFound, ExitFailure},
		{"no content is not ok", http.StatusNoContent, ExitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var paths []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				paths = append(paths, r.URL.Path)
				if tt.status == http.StatusFound {
					http.Redirect(w, r, "/elsewhere", tt.status)
					return
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			// No database: healthcheck must not need one.
			env := map[string]string{"AUTH_DB": filepath.Join(t.TempDir(), "none.db")}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"healthcheck", "--url", srv.URL}, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
			if code != tt.want {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.want, stderr.String())
			}
			if len(paths) != 1 || paths[0] != "/healthz" {
				t.Errorf("server saw requests for %q, want one for /healthz", paths)
			}
			if tt.want != ExitOK && !strings.Contains(stderr.String(), "health check failed") {
				t.Errorf("stderr %q does not explain the failure", stderr.String())
			}
		})
	}

	t.Run("port from addr", func(t *testing.T) {
		hit := false
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = r.URL.Path == "/healthz" }))
		defer srv.Close()
		_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
		var stdout, stderr bytes.Buffer
		env := map[string]string{"AUTH_ADDR": ":" + port}
		code := Main(context.Background(), []string{"healthcheck"}, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
		if code != ExitOK || !hit {
			t.Errorf("healthcheck with AUTH_ADDR=:%s: exit %d, hit %v, stderr %q", port, code, hit, stderr.String())
		}
	})

	t.Run("nothing listening", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), []string{"healthcheck", "--url", url}, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
		if code != ExitFailure {
			t.Errorf("exit %d, want 1; stderr %q", code, stderr.String())
		}
	})
}

func TestHealthURL(t *testing.T) {
	tests := []struct {
		url, addr string
		want      string // "" means an error
	}{
		{"", ":9096", "http://127.0.0.1:9096/healthz"},
		{"", "0.0.0.0:80", "http://127.0.0.1:80/healthz"},
		{"", "[::]:8080", "http://127.0.0.1:8080/healthz"},
		{"", "[::1]:8080", "http://[::1]:8080/healthz"},
		{"", "10.0.0.5:9096", "http://10.0.0.5:9096/healthz"},
		{"", "localhost:9096", "http://localhost:9096/healthz"},
		{"", "9096", ""},
		{"", "host:", ""},
		{"http://auth:9096", ":1", "http://auth:9096/healthz"},
		{"https://auth.example.com/", ":1", "https://auth.example.com/healthz"},
		{"http://auth:9096/custom/healthz", ":1", "http://auth:9096/custom/healthz"},
		{"ftp://auth", ":1", ""},
		{"auth:9096", ":1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url+"|"+tt.addr, func(t *testing.T) {
			got, err := healthURL(tt.url, tt.addr)
			if tt.want == "" {
				if err == nil {
					t.Errorf("healthURL = %q, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("healthURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown command", []string{"frobnicate"}, nil, `unknown command "frobnicate"`},
		{"group without command", []string{"users"}, nil, "users: missing command; want one of: add, list, disable, enable, passwd, delete"},
		{"unknown subcommand", []string{"clients", "frob"}, nil, `clients: unknown command "frob"`},
		{"missing name", []string{"users", "add"}, nil, "users add: missing NAME"},
		{"extra argument", []string{"users", "delete", "a", "b"}, nil, `users delete: unexpected argument "b"`},
		{"unknown flag", []string{"users", "list", "--nope"}, nil, "flag provided but not defined: -nope"},
		{"command after flags", []string{"--db", "x.db", "users", "list"}, nil, "the command comes first"},
		{"bad flag value", []string{"migrate", "--bcrypt-cost", "many"}, nil, `invalid value "many" for flag -bcrypt-cost`},
		{"malformed env", []string{"users", "list"}, map[string]string{"AUTH_ACCESS_TOKEN_TTL": "soon"}, `AUTH_ACCESS_TOKEN_TTL="soon" is not a duration`},
		{"control char in name", []string{"users", "add", "bo\x07b"}, nil, "control or invisible character"},
		{"blank name", []string{"users", "add", "   "}, nil, "is only white space"},
		{"padded name", []string{"users", "add", "bob "}, nil, "begins or ends with white space"},
		{"long name", []string{"users", "add", strings.Repeat("n", 129)}, nil, "longer than 128 bytes"},
		{"bad email", []string{"users", "add", "bob", "--email", "Bob <bob@example.com>"}, nil, "is not an e-mail address"},
		{"bad scope", []string{"users", "add", "bob", "--scopes", `a,"b"`}, nil, `scope "\"b\""`},
		{"empty scope item", []string{"users", "add", "bob", "--scopes", "a,,b"}, nil, "has an empty item"},
		{"invalid grant", []string{"clients", "add", "web", "--grants", "password,implicit", "--audience", "api"}, nil, `grant type "implicit" is not one of`},
		{"missing grants", []string{"clients", "add", "web", "--audience", "api"}, nil, "--grants is required"},
		{"missing audience", []string{"clients", "add", "web", "--grants", "password"}, nil, "--audience is required"},
		{"public client_credentials", []string{"clients", "add", "web", "--public", "--grants", "client_credentials", "--audience", "api"}, nil, "a public client cannot use client_credentials"},
		{"public secret-stdin", []string{"clients", "add", "web", "--public", "--secret-stdin", "--grants", "password", "--audience", "api"}, nil, "exclude each other"},
		{"refresh without password", []string{"clients", "add", "web", "--grants", "refresh_token,client_credentials", "--audience", "api"}, nil, "refresh_token needs authorization_code or password"},
		{"bad client id", []string{"clients", "add", "my client", "--grants", "password", "--audience", "api"}, nil, "may contain only ASCII letters"},
		{"negative activate-after", []string{"keys", "rotate", "--activate-after", "-1m"}, nil, "--activate-after must not be negative"},
		{"bad health url", []string{"healthcheck", "--url", "ftp://x"}, nil, "is not an http(s) URL"},
		{"help for unknown", []string{"help", "nope"}, nil, `unknown command "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				h.env[k] = v
			}
			defer func() {
				for k := range tt.env {
					delete(h.env, k)
				}
			}()
			r := h.in(t).fails(ExitUsage, tt.want, "password\n", tt.args...)
			if !strings.Contains(r.stderr, "for usage.") {
				t.Errorf("stderr %q does not say where usage is", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
		})
	}
	r := h.ok("", "users", "list")
	if strings.Count(strings.TrimSpace(r.stdout), "\n") != 0 {
		t.Errorf("a usage error created a user:\n%s", r.stdout)
	}
}

// TestInvalidSettings checks that every problem is reported at once, and
// that nothing is created before the settings are valid.
func TestInvalidSettings(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sub", "auth.db")
	env := map[string]string{"AUTH_DB": db, "AUTH_ISSUER": "https://auth.example.com/"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"--bcrypt-cost", "50", "--signing-alg", "HS256"}, strings.NewReader(""), &stdout, &stderr,
		func(k string) string { return env[k] })
	if code != ExitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{"authserver: invalid settings:\n", "\n  --issuer", "\n  --signing-alg", "\n  --bcrypt-cost"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not contain %q:\n%s", want, stderr.String())
		}
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve with invalid settings created the database (stat: %v)", err)
	}
}

func TestHelp(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"-help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := h.in(t).ok("", args...)
			if r.stderr != "" {
				t.Errorf("help wrote to stderr: %q", r.stderr)
			}
			for _, c := range commands {
				if !strings.Contains(r.stdout, "  "+c.name) {
					t.Errorf("help does not list command %q", c.name)
				}
				fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
				c.setup(fs)
				fs.VisitAll(func(f *flag.Flag) {
					if !strings.Contains(r.stdout, "--"+f.Name+" ") {
						t.Errorf("help does not list flag --%s of %s", f.Name, c.name)
					}
				})
			}
			for _, name := range config.FlagNames() {
				if !strings.Contains(r.stdout, "--"+name+" ") && !strings.Contains(r.stdout, "--"+name+"\n") {
					t.Errorf("help does not list --%s", name)
				}
				if want := "env " + config.EnvName(name) + ", default "; !strings.Contains(r.stdout, want) {
					t.Errorf("help does not contain %q", want)
				}
			}
			for _, want := range []string{`default ":9096"`, `default "data/authserver.db"`, "default 30m", "default 720h", "Exit status"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("help does not contain %q", want)
				}
			}
		})
	}

	t.Run("command help", func(t *testing.T) {
		h := h.in(t)
		for _, args := range [][]string{{"users", "add", "-h"}, {"help", "users", "add"}, {"users", "add", "bob", "--help"}} {
			r := h.ok("", args...)
			for _, want := range []string{"Usage: authserver users add NAME [FLAGS] [SETTINGS]", "--email ADDRESS", "--scopes LIST", "72 bytes", "AUTH_BCRYPT_COST"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%q does not show %q:\n%s", args, want, r.stdout)
				}
			}
		}
		if _, err := h.store().GetUser(context.Background(), "bob"); !errors.Is(err, store.ErrNotFound) {
			t.Error("users add bob --help added bob")
		}
	})

	t.Run("group help", func(t *testing.T) {
		h := h.in(t)
		for _, args := range [][]string{{"clients", "-h"}, {"help", "clients"}} {
			r := h.ok("", args...)
			for _, want := range []string{"clients add ID", "clients list", "clients delete ID", "clients rotate-secret ID"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("%q does not show %q:\n%s", args, want, r.stdout)
				}
			}
		}
	})
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		wantMail string
		wantPub  bool
	}{
		{[]string{"bob"}, []string{"bob"}, "", false},
		{[]string{"bob", "--email", "b@x"}, []string{"bob"}, "b@x", false},
		{[]string{"--email=b@x", "bob", "--public", "extra"}, []string{"bob", "extra"}, "b@x", true},
		{[]string{"--", "-bob", "--public"}, []string{"-bob", "--public"}, "", false},
		{[]string{"bob", "--", "--email"}, []string{"bob", "--email"}, "", false},
		{nil, nil, "", false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			email := fs.String("email", "", "")
			public := fs.Bool("public", false, "")
			pos, err := parseInterspersed(fs, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(pos, "|") != strings.Join(tt.wantPos, "|") || *email != tt.wantMail || *public != tt.wantPub {
				t.Errorf("positional %q, email %q, public %v; want %q, %q, %v", pos, *email, *public, tt.wantPos, tt.wantMail, tt.wantPub)
			}
		})
	}
}
