package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/server"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

const (
	backupPassword = "backup horse battery staple"
	backupSecret   = "backup-web-secret-0123456789-0123456789"
	backupIssuer   = "https://auth.backup.example"
)

// authServer is a server on a loopback port over the SQLite file db, as
// "authserver serve" runs it.
type authServer struct {
	t    *testing.T
	url  string
	http *http.Client
	stop func()
}

func startAuthServer(t *testing.T, db string) *authServer {
	t.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.Issuer = backupIssuer
	cfg.BcryptCost = 4
	cfg.ShutdownDrain = 0
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, st, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	a := &authServer{t: t, url: "http://" + ln.Addr().String(), http: &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}}
	var once sync.Once
	a.stop = func() {
		once.Do(func() {
			a.http.CloseIdleConnections()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
			if err := st.Close(); err != nil {
				t.Errorf("closing the store: %v", err)
			}
		})
	}
	t.Cleanup(a.stop)
	return a
}

type grant struct {
	status       int
	accessToken  string
	refreshToken string
}

func (a *authServer) token(form url.Values) (grant, error) {
	req, err := http.NewRequest(http.MethodPost, a.url+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return grant{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("web", url.QueryEscape(backupSecret))
	resp, err := a.http.Do(req)
	if err != nil {
		return grant{}, err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return grant{}, err
	}
	g := grant{resp.StatusCode, body.AccessToken, body.RefreshToken}
	if g.status != http.StatusOK || g.accessToken == "" || g.refreshToken == "" {
		return g, fmt.Errorf("token endpoint: %d, want 200 with both tokens", g.status)
	}
	return g, nil
}

func (a *authServer) login(user string) (grant, error) {
	return a.token(url.Values{"grant_type": {"password"}, "username": {user}, "password": {backupPassword}, "scope": {"search"}})
}

func (a *authServer) refresh(rt string) (grant, error) {
	return a.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// verify checks an access token against the server's published JWKS.
func (a *authServer) verify(token string) error {
	resp, err := a.http.Get(a.url + "/.well-known/jwks.json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var set jwks.Set
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		return err
	}
	_, err = jwt.ParseWithClaims(token, &claims.AccessToken{}, func(t *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == t.Header["kid"] {
				return k.PublicKey()
			}
		}
		return nil, errors.New("kid not in the JWKS")
	}, jwt.WithIssuer(backupIssuer), jwt.WithExpirationRequired())
	return err
}

// TestBackupUnderLoadRestores backs up the database of a running server
// with "authserver backup" while clients log in and refresh their tokens
// at full speed, restores the copy to a new path, and starts a server on
// it: the users, the client and the keys are there, the refresh tokens
// issued before the backup are accepted, and the access tokens issued
// before it still verify against the restored server's JWKS.
func TestBackupUnderLoadRestores(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "auth.db")
	h := &harness{t: t, db: db, env: map[string]string{"AUTH_DB": db, "AUTH_BCRYPT_COST": "4"}}
	h.ok("", "migrate")
	users := []string{"alice", "bob", "carol", "dave"}
	for _, u := range users {
		h.ok(backupPassword+"\n", "users", "add", u, "--scopes", "search")
	}
	h.ok(backupSecret+"\n", "clients", "add", "web", "--grants", "password,refresh_token",
		"--scopes", "search", "--audience", "search-api", "--secret-stdin")

	live := startAuthServer(t, db)
	// Sessions opened before the backup and left alone until the restore.
	var before []grant
	for _, u := range users {
		g, err := live.login(u)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, g)
	}

	// Load: each worker logs in and refreshes in a loop, writing refresh
	// tokens and rotations while the backup runs.
	stop := make(chan struct{})
	var (
		wg       sync.WaitGroup
		requests atomic.Int64
		loadErr  atomic.Pointer[error]
	)
	for i := range 4 {
		wg.Go(func() {
			user := users[i%len(users)]
			for {
				select {
				case <-stop:
					return
				default:
				}
				g, err := live.login(user)
				for j := 0; err == nil && j < 3; j++ {
					g, err = live.refresh(g.refreshToken)
				}
				if err != nil {
					loadErr.Store(&err)
					return
				}
				requests.Add(4)
			}
		})
	}
	for requests.Load() < 20 && loadErr.Load() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	backup := filepath.Join(dir, "backups", "auth-backup.db")
	if err := os.Mkdir(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}
	r := h.ok("", "backup", backup)
	close(stop)
	wg.Wait()
	if err := loadErr.Load(); err != nil {
		t.Fatalf("a request failed during the backup: %v", *err)
	}
	t.Logf("%d token requests during the run", requests.Load())
	if !strings.Contains(r.stdout, "backed up to") {
		t.Errorf("backup printed %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "audit=true") || !strings.Contains(r.stderr, `msg="database backed up"`) {
		t.Errorf("backup logged no audit line: %q", r.stderr)
	}
	// The live server goes on: a backup never disturbs it.
	if _, err := live.login("alice"); err != nil {
		t.Fatalf("after the backup: %v", err)
	}
	h.fails(ExitFailure, "already exists", "", "backup", backup)
	live.stop()

	// Restore: copy the backup into place under a new name.
	restoredDB := filepath.Join(dir, "restored", "auth.db")
	if err := os.Mkdir(filepath.Dir(restoredDB), 0o700); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(restoredDB, data, 0o600); err != nil {
		t.Fatal(err)
	}
	restored := startAuthServer(t, restoredDB)
	for i, g := range before {
		if err := restored.verify(g.accessToken); err != nil {
			t.Errorf("%s: access token issued before the backup does not verify against the restored JWKS: %v", users[i], err)
		}
		ng, err := restored.refresh(g.refreshToken)
		if err != nil {
			t.Errorf("%s: refresh token issued before the backup: %v", users[i], err)
			continue
		}
		if err := restored.verify(ng.accessToken); err != nil {
			t.Errorf("%s: access token from the restored server does not verify: %v", users[i], err)
		}
		if _, err := restored.refresh(ng.refreshToken); err != nil {
			t.Errorf("%s: the rotated refresh token: %v", users[i], err)
		}
	}
	for _, u := range users {
		if _, err := restored.login(u); err != nil {
			t.Errorf("%s cannot log in on the restored server: %v", u, err)
		}
	}
}

func TestBackupRefusals(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Dir(h.db)

	t.Run("postgres", func(t *testing.T) {
		// Nothing listens on port 1: the command must refuse before it
		// tries to connect.
		dsn := "postgres://fastsafe:s3cret-pw@127.0.0.1:1/fastsafe"
		r := h.in(t).fails(ExitFailure, "pg_dump", "", "backup", filepath.Join(dir, "pg.db"), "--db", dsn)
		if strings.Contains(r.stderr, "s3cret-pw") || strings.Contains(r.stderr, "connect") {
			t.Errorf("stderr %q", r.stderr)
		}
	})
	t.Run("missing database", func(t *testing.T) {
		h.in(t).fails(ExitFailure, "does not exist", "", "backup", filepath.Join(dir, "b.db"), "--db", filepath.Join(dir, "nope.db"))
		if _, err := os.Stat(filepath.Join(dir, "nope.db")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("backup created the missing database: %v", err)
		}
	})
	t.Run("existing file", func(t *testing.T) {
		existing := filepath.Join(dir, "existing")
		if err := os.WriteFile(existing, []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
		h.in(t).fails(ExitFailure, "already exists", "", "backup", existing)
		if b, _ := os.ReadFile(existing); string(b) != "keep" {
			t.Errorf("existing file overwritten: %q", b)
		}
	})
	t.Run("no file", func(t *testing.T) {
		h.in(t).fails(ExitUsage, "missing FILE", "", "backup")
	})
}

// TestAuditLines checks that every command that changes users, clients or
// keys logs an audit line naming the operating-system user, the change
// and its subject, and never the password or secret it was given.
func TestAuditLines(t *testing.T) {
	h := newHarness(t)
	actor := osUser()
	const pw = "audit horse battery staple"
	const sec = "audit-secret-0123456789-0123456789-abcdef"
	st := h.store()
	if err := st.CreateClient(context.Background(), store.Client{ID: "svc", SecretHash: secret.Hash(sec), Grants: []string{"client_credentials"}, Audience: []string{"api"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		stdin string
		args  []string
		want  []string
		// secretOut: stdout is a generated secret, which must not be
		// logged either.
		secretOut bool
	}{
		{pw + "\n", []string{"users", "add", "erin"}, []string{`msg="user added"`, "user=erin"}, false},
		{"", []string{"users", "disable", "erin"}, []string{`msg="user disabled and its refresh tokens revoked"`, "user=erin"}, false},
		{"", []string{"users", "enable", "erin"}, []string{`msg="user enabled"`, "user=erin"}, false},
		{pw + "2\n", []string{"users", "passwd", "erin"}, []string{`msg="user password changed and its refresh tokens revoked"`, "user=erin"}, false},
		{"", []string{"users", "delete", "erin"}, []string{`msg="user deleted"`, "user=erin"}, false},
		{sec + "\n", []string{"clients", "add", "app", "--grants", "password", "--audience", "api", "--secret-stdin"}, []string{`msg="client added"`, "client_id=app", "public=false"}, false},
		{"", []string{"clients", "rotate-secret", "svc"}, []string{`msg="client secret replaced"`, "client_id=svc"}, true},
		{"", []string{"clients", "delete", "app"}, []string{`msg="client deleted"`, "client_id=app"}, false},
		{"", []string{"keys", "rotate"}, []string{`msg="signing key rotated"`, "kid=", "alg=RS256", "activates_at="}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := h.in(t).ok(tt.stdin, tt.args...)
			line := ""
			for l := range strings.Lines(r.stderr) {
				if strings.Contains(l, "audit=true") {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("no audit line in %q", r.stderr)
			}
			for _, want := range append(tt.want, "level=INFO", "time=") {
				if !strings.Contains(line, want) {
					t.Errorf("audit line %q does not contain %q", line, want)
				}
			}
			if !strings.Contains(line, "actor="+actor) && !strings.Contains(line, "actor="+strconv.Quote(actor)) {
				t.Errorf("audit line %q does not name the actor %q", line, actor)
			}
			secrets := []string{pw, sec}
			if tt.secretOut {
				secrets = append(secrets, strings.TrimSpace(r.stdout))
			}
			for _, s := range secrets {
				if strings.Contains(r.stderr, s) {
					t.Errorf("stderr shows a secret: %q", r.stderr)
				}
			}
		})
	}
	// A command that changes nothing logs no audit line.
	if r := h.ok("", "users", "list"); strings.Contains(r.stderr, "audit=true") {
		t.Errorf("users list logged %q", r.stderr)
	}
}
