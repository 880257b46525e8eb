package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/server"
	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/pgtest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
	"github.com/fastsafe/fastsafe/internal/logbuf"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// The replicas of these tests serve one issuer, as replicas behind a load
// balancer do; the tests talk to each replica directly.
const (
	replicaIssuer   = "https://auth.replicas.example"
	replicaPassword = "replica horse battery staple"
	replicaSecret   = "replica-web-secret-0123456789-0123456789"
	// keyReload is the replicas' signing-key reload interval: short, so
	// that the tests need not wait the default 15 seconds.
	keyReload = 100 * time.Millisecond
	// patience bounds every wait for something that happens in the
	// background: long, because the tests check that it happens, not how
	// fast.
	patience = 2 * time.Minute
)

// replica is one authorization server on a loopback port with a
// connection pool of its own to the shared database.
type replica struct {
	t     *testing.T
	name  string
	url   string
	store *sqlstore.Store
	http  *http.Client
}

// seedReplicas creates the user and client the tests use.
func seedReplicas(t *testing.T, st store.Store) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(replicaPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		if err := st.CreateUser(t.Context(), store.User{Username: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.CreateClient(t.Context(), store.Client{
		ID: "web", SecretHash: secret.Hash(replicaSecret), Grants: []string{"password", "refresh_token"},
		Scopes: []string{"search"}, Audience: []string{"search-api"}, CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
}

// seededDatabase returns the URL of a new PostgreSQL schema with the users
// and the client of seedReplicas.
func seededDatabase(t *testing.T) string {
	t.Helper()
	dsn := pgtest.DSN(t)
	seeder, err := sqlstore.OpenPostgres(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	seedReplicas(t, seeder)
	seeder.Close()
	return dsn
}

// startReplica runs a server on dsn until the test ends, and checks then
// that its log holds no secret.
func startReplica(t *testing.T, name, dsn string, adjust ...func(*config.Config)) *replica {
	t.Helper()
	logs := &logbuf.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("replica", name)
	st, err := sqlstore.OpenPostgres(context.Background(), dsn, sqlstore.WithLogger(logger))
	if err != nil {
		t.Fatalf("replica %s: %v", name, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.Issuer = replicaIssuer
	cfg.BcryptCost = bcrypt.MinCost
	cfg.ShutdownTimeout = 10 * time.Second
	cfg.ShutdownDrain = 0 // no load balancer to wait for
	for _, a := range adjust {
		a(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, st, logger, time.Now, server.WithKeyReloadInterval(keyReload))
	if err != nil {
		t.Fatalf("replica %s: %v", name, err)
	}
	r := &replica{t: t, name: name, url: "http://" + ln.Addr().String(), store: st,
		http: &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		r.http.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("replica %s: serve: %v", name, err)
		}
		st.Close()
		out := logs.String()
		secrets := []string{replicaPassword, replicaSecret, url.QueryEscape(replicaSecret), "eyJ", "refresh_token="}
		if u, err := url.Parse(dsn); err == nil {
			if pw, ok := u.User.Password(); ok && len(pw) > 3 {
				secrets = append(secrets, pw)
			}
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("replica %s: log contains %q", name, s)
			}
		}
	})
	return r
}

// tokenResponse is what the token endpoint answered.
type tokenResponse struct {
	status       int
	err          string // the OAuth error code, if any
	accessToken  string
	refreshToken string
	retryAfter   string
}

// token posts a token request authenticated as the web client.
func (r *replica) token(form url.Values) (tokenResponse, error) {
	return r.tokenAs(replicaSecret, form)
}

// tokenAs posts a token request authenticated as the web client with
// secret.
func (r *replica) tokenAs(secret string, form url.Values) (tokenResponse, error) {
	req, err := http.NewRequest(http.MethodPost, r.url+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return tokenResponse{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("web", url.QueryEscape(secret))
	resp, err := r.http.Do(req)
	if err != nil {
		return tokenResponse{}, err
	}
	defer resp.Body.Close()
	var body struct {
		Error        string `json:"error"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return tokenResponse{}, fmt.Errorf("token response: %w", err)
	}
	return tokenResponse{resp.StatusCode, body.Error, body.AccessToken, body.RefreshToken, resp.Header.Get("Retry-After")}, nil
}

func (r *replica) mustToken(form url.Values) tokenResponse {
	r.t.Helper()
	tr, err := r.token(form)
	if err != nil {
		r.t.Fatalf("replica %s: %v", r.name, err)
	}
	return tr
}

func (r *replica) password(user string) tokenResponse {
	r.t.Helper()
	return r.mustToken(url.Values{"grant_type": {"password"}, "username": {user}, "password": {replicaPassword}})
}

func (r *replica) refresh(refreshToken string) tokenResponse {
	r.t.Helper()
	return r.mustToken(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// get fetches path and returns the status and body.
func (r *replica) get(path string) (int, []byte) {
	r.t.Helper()
	resp, err := r.http.Get(r.url + path)
	if err != nil {
		r.t.Fatalf("replica %s: GET %s: %v", r.name, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, body
}

// jwks returns the key IDs the replica publishes, and the set.
func (r *replica) jwks() ([]string, jwks.Set) {
	r.t.Helper()
	code, body := r.get("/.well-known/jwks.json")
	if code != http.StatusOK {
		r.t.Fatalf("replica %s: JWKS: %d %s", r.name, code, body)
	}
	var set jwks.Set
	if err := json.Unmarshal(body, &set); err != nil {
		r.t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	slices.Sort(kids)
	return kids, set
}

// verify checks an access token against the replica's JWKS, as a resource
// server that fetched its keys from that replica would, and returns its
// key ID and claims.
func (r *replica) verify(token string) (string, *claims.AccessToken) {
	r.t.Helper()
	_, set := r.jwks()
	var c claims.AccessToken
	tok, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == t.Header["kid"] {
				return k.PublicKey()
			}
		}
		return nil, errors.New("kid not in the JWKS")
	}, jwt.WithIssuer(replicaIssuer), jwt.WithExpirationRequired(), jwt.WithValidMethods(signing.Algorithms()))
	if err != nil {
		r.t.Fatalf("replica %s: token does not verify against its JWKS: %v", r.name, err)
	}
	kid, _ := tok.Header["kid"].(string)
	return kid, &c
}

// eventually polls cond until it holds, failing the test after patience.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after %v", what, patience)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func wantOK(t *testing.T, what string, tr tokenResponse) {
	t.Helper()
	if tr.status != http.StatusOK || tr.accessToken == "" {
		t.Fatalf("%s: %d %q, want 200 with a token", what, tr.status, tr.err)
	}
}

func wantError(t *testing.T, what string, tr tokenResponse, status int, code string) {
	t.Helper()
	if tr.status != status || tr.err != code {
		t.Fatalf("%s: %d %q, want %d %q", what, tr.status, tr.err, status, code)
	}
}

// TestReplicas runs two authorization servers on one PostgreSQL database:
// whatever one of them issues, rotates or changes, the other honours.
func TestReplicas(t *testing.T) {
	dsn := seededDatabase(t)
	a := startReplica(t, "a", dsn)
	b := startReplica(t, "b", dsn)

	t.Run("same JWKS", func(t *testing.T) {
		ka, _ := a.jwks()
		kb, _ := b.jwks()
		if len(ka) != 1 || !slices.Equal(ka, kb) {
			t.Fatalf("replica a publishes %v, replica b %v; want the same single key", ka, kb)
		}
	})

	t.Run("token from a refreshed at b", func(t *testing.T) {
		first := a.password("alice")
		wantOK(t, "password grant at a", first)
		if _, c := b.verify(first.accessToken); c.Subject != "alice" {
			t.Fatalf("a's token verified at b has subject %q", c.Subject)
		}
		second := b.refresh(first.refreshToken)
		wantOK(t, "refresh at b of a's token", second)
		// A client that lost b's answer retries at a, within the grace
		// window: a hands out the successor b made, not another one.
		retried := a.refresh(first.refreshToken)
		wantOK(t, "retry at a of the rotation at b", retried)
		if retried.refreshToken != second.refreshToken {
			t.Fatal("the retry at a got another refresh token than the rotation at b")
		}
		third := a.refresh(second.refreshToken)
		wantOK(t, "refresh at a of the successor", third)
		// The token b rotated is spent at a too, now that its successor
		// was used: presenting it again is reuse, which revokes the grant
		// everywhere.
		wantError(t, "refresh at a of the token b rotated", a.refresh(first.refreshToken), http.StatusBadRequest, "invalid_grant")
		wantError(t, "refresh at b after reuse", b.refresh(third.refreshToken), http.StatusBadRequest, "invalid_grant")
	})

	t.Run("concurrent refresh at both, one successor", func(t *testing.T) {
		grant := b.password("bob")
		wantOK(t, "password grant at b", grant)
		const n = 16
		results := make([]tokenResponse, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			r := []*replica{a, b}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = r.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {grant.refreshToken}})
			}()
		}
		close(start)
		wg.Wait()
		// As from a client that retried at the other replica while its
		// first request ran: every refresh gets the one successor.
		successors := map[string]bool{}
		for i, tr := range results {
			if errs[i] != nil {
				t.Fatalf("refresh %d: %v", i, errs[i])
			}
			if tr.status != http.StatusOK {
				t.Fatalf("refresh %d: %d %q, want 200", i, tr.status, tr.err)
			}
			successors[tr.refreshToken] = true
		}
		if len(successors) != 1 {
			t.Fatalf("%d concurrent refreshes of one token handed out %d refresh tokens, want 1", n, len(successors))
		}
	})

	t.Run("key rotated at a verified through b", func(t *testing.T) {
		before, _ := b.jwks()
		// Published at once, signing after a delay longer than the reload
		// interval, as operators rotate.
		k, err := signing.Rotate(t.Context(), a.store, "ES256", time.Now(), 5*keyReload)
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "b publishes the key rotated at a", func() bool {
			kids, _ := b.jwks()
			return slices.Contains(kids, k.ID)
		})
		var tok tokenResponse
		eventually(t, "a signs with the new key", func() bool {
			tok = a.password("carol")
			wantOK(t, "password grant at a", tok)
			kid, _ := b.verify(tok.accessToken)
			return kid == k.ID
		})
		if _, c := b.verify(tok.accessToken); c.Subject != "carol" {
			t.Fatalf("subject %q", c.Subject)
		}
		eventually(t, "b signs with the new key too", func() bool {
			tr := b.password("carol")
			wantOK(t, "password grant at b", tr)
			kid, _ := a.verify(tr.accessToken)
			return kid == k.ID
		})
		ka, _ := a.jwks()
		kb, _ := b.jwks()
		if !slices.Equal(ka, kb) || !slices.Contains(kb, k.ID) || len(kb) != len(before)+1 {
			t.Fatalf("after rotation a publishes %v, b %v (b had %v)", ka, kb, before)
		}
	})

	t.Run("user disabled at b refused at a", func(t *testing.T) {
		grant := a.password("dave")
		wantOK(t, "password grant at a", grant)
		err := b.store.UpdateUser(t.Context(), "dave", func(u store.User) (store.User, error) {
			u.Disabled = true
			return u, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wantError(t, "password grant at a for a disabled user", a.password("dave"), http.StatusBadRequest, "invalid_grant")
		wantError(t, "refresh at a for a disabled user", a.refresh(grant.refreshToken), http.StatusBadRequest, "invalid_grant")
	})
}

// TestReplicaLosesDatabase takes the database away from a replica (its
// connections run through a proxy that cuts them) and brings it back: the
// replica turns unready and answers token requests with 503
// temporarily_unavailable, keeps publishing its keys, leaves nothing half
// done, and recovers without a restart.
func TestReplicaLosesDatabase(t *testing.T) {
	dsn := seededDatabase(t)
	proxy, viaProxy := pgtest.NewProxy(t, dsn)
	r := startReplica(t, "a", viaProxy)

	if code, body := r.get("/readyz"); code != http.StatusOK {
		t.Fatalf("readyz before the outage: %d %s", code, body)
	}
	grant := r.password("alice")
	wantOK(t, "password grant", grant)

	proxy.Cut()
	if code, body := r.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz without the database: %d %s, want 503", code, body)
	}
	if code, _ := r.get("/healthz"); code != http.StatusOK {
		t.Fatalf("healthz without the database: %d, want 200: the process itself is fine", code)
	}
	if kids, _ := r.jwks(); len(kids) == 0 {
		t.Fatal("no keys published without the database")
	}
	for what, tr := range map[string]tokenResponse{
		"password grant": r.password("alice"),
		"refresh":        r.refresh(grant.refreshToken),
	} {
		wantError(t, what+" without the database", tr, http.StatusServiceUnavailable, "temporarily_unavailable")
		if tr.retryAfter == "" {
			t.Errorf("%s without the database: no Retry-After", what)
		}
	}

	proxy.Restore()
	eventually(t, "readyz after the database came back", func() bool {
		code, _ := r.get("/readyz")
		return code == http.StatusOK
	})
	// The refresh that failed changed nothing: the token still works, once.
	next := r.refresh(grant.refreshToken)
	wantOK(t, "refresh after recovery", next)
	wantOK(t, "refresh of the new token", r.refresh(next.refreshToken))
	wantOK(t, "password grant after recovery", r.password("bob"))
}

// TestReplicasSurvivePostgresRestart restarts PostgreSQL while clients
// refresh their tokens in turn at two replicas. No refresh is lost or
// duplicated: every grant's chain of refresh tokens goes on where it was,
// and the database holds exactly the tokens the clients were given.
// Requests during the restart get 503 and are retried, as clients do.
func TestReplicasSurvivePostgresRestart(t *testing.T) {
	pgtest.SkipUnlessRestartable(t)
	dsn := pgtest.DSN(t)
	seeder, err := sqlstore.OpenPostgres(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	seedReplicas(t, seeder)
	a := startReplica(t, "a", dsn)
	b := startReplica(t, "b", dsn)
	replicas := []*replica{a, b}

	// One client per user, each with its own grant.
	type client struct {
		user      string
		family    string
		refresh   string
		refreshed int // successful refreshes
		failed    int // 503s and transport errors, retried
	}
	var clients []*client
	for _, u := range []string{"alice", "bob", "carol"} {
		tr := a.password(u)
		wantOK(t, "password grant for "+u, tr)
		_, c := a.verify(tr.accessToken)
		clients = append(clients, &client{user: u, family: c.SessionID, refresh: tr.refreshToken})
	}

	// started is when the server started: the restart must change it.
	started := func() time.Time {
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var at time.Time
		if err := conn.QueryRow(t.Context(), `SELECT pg_postmaster_start_time()`).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	before := started()

	// ended stops the clients if the test ends early.
	ended := make(chan struct{})
	t.Cleanup(func() { close(ended) })

	// step refreshes c once at r, retrying what the server could not do
	// until it answers; a refused refresh is a lost one.
	step := func(c *client, r *replica) error {
		deadline := time.Now().Add(patience)
		for time.Now().Before(deadline) {
			select {
			case <-ended:
				return errors.New("the test ended")
			default:
			}
			tr, err := r.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c.refresh}})
			switch {
			case err != nil || tr.status == http.StatusServiceUnavailable:
				c.failed++
				time.Sleep(50 * time.Millisecond)
				continue
			case tr.status == http.StatusOK:
				c.refresh = tr.refreshToken
				c.refreshed++
				return nil
			default:
				return fmt.Errorf("%s: refresh %d at %s: %d %q: the grant was lost", c.user, c.refreshed+1, r.name, tr.status, tr.err)
			}
		}
		return fmt.Errorf("%s: refresh at %s never succeeded", c.user, r.name)
	}

	const rounds = 10
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, len(clients))
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Refresh until the restart is over, then a few more rounds.
			for n := 0; ; n++ {
				select {
				case <-stop:
					if n >= rounds {
						return
					}
				default:
				}
				if err := step(c, replicas[(i+n)%2]); err != nil {
					errs <- err
					return
				}
				time.Sleep(10 * time.Millisecond)
				if n > 100000 {
					errs <- errors.New("runaway refresh loop")
					return
				}
			}
		}()
	}
	// Let the clients get going, then restart the database under them.
	time.Sleep(200 * time.Millisecond)
	pgtest.Restart(t)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}

	if after := started(); !after.After(before) {
		t.Fatalf("the server was not restarted: started at %v, and at %v", before, after)
	}

	// Both replicas are ready again without a restart of their own.
	for _, r := range replicas {
		eventually(t, "replica "+r.name+" ready after the restart", func() bool {
			code, _ := r.get("/readyz")
			return code == http.StatusOK
		})
	}

	// The database agrees with the clients: each family is live, holds one
	// token per refresh plus the first, every token but the newest used,
	// and the newest is the one the client holds.
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, c := range clients {
		f, err := seeder.GetRefreshFamily(t.Context(), c.family)
		if err != nil {
			t.Fatalf("%s: %v", c.user, err)
		}
		if f.Revoked() {
			t.Fatalf("%s: family revoked", c.user)
		}
		var tokens, unused int
		if err := conn.QueryRow(t.Context(), `SELECT COUNT(*), COUNT(*) FILTER (WHERE used_at IS NULL)
FROM refresh_tokens WHERE family_id = $1`, c.family).Scan(&tokens, &unused); err != nil {
			t.Fatal(err)
		}
		if tokens != c.refreshed+1 || unused != 1 {
			t.Fatalf("%s: %d tokens (%d unused) in the family after %d refreshes; want %d (1 unused)",
				c.user, tokens, unused, c.refreshed, c.refreshed+1)
		}
		held, _, err := seeder.GetRefreshToken(t.Context(), store.RefreshTokenID(c.refresh))
		if err != nil || !held.UsedAt.IsZero() {
			t.Fatalf("%s: the token the client holds: used at %v, %v", c.user, held.UsedAt, err)
		}
		t.Logf("%s: %d refreshes, %d retried", c.user, c.refreshed, c.failed)
	}

	// One rotation still holds after the restart: a refresh at both
	// replicas at once, as from a client that retried at the other one,
	// hands out a single successor to both.
	c := clients[0]
	results := make(chan tokenResponse, 2)
	for _, r := range replicas {
		go func() {
			results <- r.mustToken(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c.refresh}})
		}()
	}
	first, second := <-results, <-results
	if first.status != http.StatusOK || second.status != http.StatusOK {
		t.Fatalf("concurrent refresh at both replicas after the restart: %d %q and %d %q, want 200 twice",
			first.status, first.err, second.status, second.err)
	}
	if first.refreshToken != second.refreshToken {
		t.Fatal("concurrent refresh at both replicas after the restart handed out two successors")
	}
	seeder.Close()
}
