package token

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/fastsafe/fastsafe/authserver/internal/clientauth"
	"github.com/fastsafe/fastsafe/authserver/internal/clientip"
	"github.com/fastsafe/fastsafe/authserver/internal/login"
	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/backend"
	"github.com/fastsafe/fastsafe/authserver/internal/testclock"
	"github.com/fastsafe/fastsafe/authserver/internal/throttle"
	"github.com/fastsafe/fastsafe/authserver/internal/tokenstate"
	"github.com/fastsafe/fastsafe/internal/logbuf"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// The harness: the token endpoint on a real SQLite store in a temporary
// directory, the real client authenticator, password hasher and throttle,
// and fakes only where a test must see or fail what happens: a store
// wrapper that fails chosen methods, a throttle and an observer that
// record their calls.

const (
	goodPassword = "correct horse battery staple"
	webSecret    = "web-secret-0123456789-0123456789-abc"
	svcSecret    = "svc-secret-0123456789-0123456789-abc"
	accessTTL    = time.Minute
	refreshTTL   = time.Hour
	familyTTL    = 2 * time.Hour
	refreshGrace = 30 * time.Second
)

// successorKey is the harness's server secret for successor refresh
// tokens.
var successorKey = []byte("successor-key-of-the-harness-32b")

// secrets of the harness's confidential clients; a client not listed is
// public.
var secrets = map[string]string{"web": webSecret, "pw": webSecret, "svc": svcSecret, "app": webSecret, "portal": webSecret,
	"svc-a": svcSecret, "svc-b": svcSecret}

// clients of the harness.
var harnessClients = []store.Client{
	{ID: "web", Grants: []string{GrantPassword, GrantRefreshToken, GrantClientCredentials}, Scopes: []string{"search", "profile"}, Audience: []string{"api", "other-api"}},
	{ID: "pw", Grants: []string{GrantPassword}, Scopes: []string{"search"}, Audience: []string{"api"}},
	{ID: "svc", Grants: []string{GrantClientCredentials}, Scopes: []string{"search"}, Audience: []string{"api"}},
	{ID: "pub", Grants: []string{GrantPassword, GrantRefreshToken, GrantClientCredentials}, Scopes: []string{"search"}, Audience: []string{"api"}},
	{ID: "app", Grants: []string{GrantAuthorizationCode, GrantRefreshToken}, Scopes: []string{"search"}, Audience: []string{"api", "other-api"},
		RedirectURIs: []string{"https://app.example/cb"}},
	{ID: "spa", Grants: []string{GrantAuthorizationCode}, Scopes: []string{"search"}, Audience: []string{"api"},
		RedirectURIs: []string{"https://spa.example/cb", "http://127.0.0.1/cb"}},
	// A chain of services: people sign in to portal, whose tokens are for
	// svc-a; svc-a exchanges them for svc-b, svc-b for svc-c.
	{ID: "portal", Grants: []string{GrantPassword, GrantRefreshToken}, Scopes: []string{"search", "profile"}, Audience: []string{"svc-a"}},
	{ID: "svc-a", Grants: []string{GrantClientCredentials, GrantTokenExchange}, Scopes: []string{"search", "profile"}, Audience: []string{"api"},
		ExchangeAudiences: []string{"svc-b", "svc-c"}},
	{ID: "svc-b", Grants: []string{GrantTokenExchange}, Scopes: []string{"search"}, ExchangeAudiences: []string{"svc-c"}},
}

// harnessClient returns the harness's client id, as stored.
func harnessClient(id string) store.Client {
	for _, c := range harnessClients {
		if c.ID == id {
			if s, ok := secrets[id]; ok {
				c.SecretHash = secret.Hash(s)
			}
			return c
		}
	}
	panic("no harness client " + id)
}

type clock = testclock.Clock

// faultyStore is the real store, but a method named in fail returns that
// error instead, and every call of the token endpoint's methods is
// counted.
type faultyStore struct {
	store.Store
	mu    sync.Mutex
	fail  map[string]error
	calls map[string]int
}

func (s *faultyStore) hit(method string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method]++
	return s.fail[method]
}

// failing makes method fail with err until reset.
func (s *faultyStore) failing(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[method] = err
}

func (s *faultyStore) called(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

func (s *faultyStore) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail, s.calls = map[string]error{}, map[string]int{}
}

func (s *faultyStore) GetUser(ctx context.Context, name string) (store.User, error) {
	if err := s.hit("GetUser"); err != nil {
		return store.User{}, err
	}
	return s.Store.GetUser(ctx, name)
}

func (s *faultyStore) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, store.RefreshFamily, error) {
	if err := s.hit("GetRefreshToken"); err != nil {
		return store.RefreshToken{}, store.RefreshFamily{}, err
	}
	return s.Store.GetRefreshToken(ctx, id)
}

func (s *faultyStore) RevokeRefreshFamily(ctx context.Context, id string, now time.Time) error {
	if err := s.hit("RevokeRefreshFamily"); err != nil {
		return err
	}
	return s.Store.RevokeRefreshFamily(ctx, id, now)
}

func (s *faultyStore) CreateRefreshToken(ctx context.Context, f store.RefreshFamily, t store.RefreshToken) error {
	if err := s.hit("CreateRefreshToken"); err != nil {
		return err
	}
	return s.Store.CreateRefreshToken(ctx, f, t)
}

func (s *faultyStore) RotateRefreshToken(ctx context.Context, oldID string, now time.Time, next store.RefreshToken, grace time.Duration) (bool, error) {
	if err := s.hit("RotateRefreshToken"); err != nil {
		return false, err
	}
	return s.Store.RotateRefreshToken(ctx, oldID, now, next, grace)
}

// countingPasswords is the real hasher, counting the comparisons. If
// fail is set, a comparison returns its error instead.
type countingPasswords struct {
	*password.Hasher
	verified atomic.Int64
	fail     func(ctx context.Context) error
}

func (c *countingPasswords) Verify(ctx context.Context, hash []byte, pw string) (bool, bool, error) {
	c.verified.Add(1)
	if c.fail != nil {
		return false, false, c.fail(ctx)
	}
	return c.Hasher.Verify(ctx, hash, pw)
}

var _ login.Passwords = (*countingPasswords)(nil)

// recordingThrottle is the real throttle, recording the failed logins it
// is told of as "client/user".
type recordingThrottle struct {
	login.Throttle
	mu     sync.Mutex
	failed []string
}

func (r *recordingThrottle) LoginFailed(req *http.Request, clientID, username string) {
	r.mu.Lock()
	r.failed = append(r.failed, clientID+"/"+username)
	r.mu.Unlock()
	r.Throttle.LoginFailed(req, clientID, username)
}

// takeFailed returns the failed logins recorded since the last call.
func (r *recordingThrottle) takeFailed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.failed
	r.failed = nil
	return f
}

// recordingObserver records what the endpoint tells its Observer.
type recordingObserver struct {
	mu     sync.Mutex
	events []string
}

func (o *recordingObserver) add(e string) {
	o.mu.Lock()
	o.events = append(o.events, e)
	o.mu.Unlock()
}

func (o *recordingObserver) TokenIssued(grant, clientID string) {
	o.add("issued " + grant + " " + clientID)
}
func (o *recordingObserver) TokenError(endpoint, code string) {
	o.add("error " + endpoint + " " + code)
}
func (o *recordingObserver) RefreshReuseDetected() { o.add("reuse") }
func (o *recordingObserver) RefreshRetried()       { o.add("retry") }
func (o *recordingObserver) CodeReuseDetected()    { o.add("code reuse") }

// take returns the events recorded since the last call.
func (o *recordingObserver) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.events
	o.events = nil
	return e
}

// wantObserved checks what the observer was told since the last look.
func wantObserved(t *testing.T, o *recordingObserver, want ...string) {
	t.Helper()
	if got := o.take(); !slices.Equal(got, want) {
		t.Errorf("observer told %q, want %q", got, want)
	}
}

// edSigner signs with a fresh Ed25519 key.
type edSigner struct{ key ed25519.PrivateKey }

func (s edSigner) Sign(c jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["typ"] = "at+jwt"
	t.Header["kid"] = "test"
	return t.SignedString(s.key)
}

func (s edSigner) SignIDToken(build func(alg string) jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, build("EdDSA"))
	t.Header["kid"] = "test"
	return t.SignedString(s.key)
}

// Keyfunc gives the inspector the public key.
func (s edSigner) Keyfunc(*jwt.Token) (any, error) { return s.key.Public(), nil }

var _ Signer = edSigner{}

func newEdSigner(t testing.TB) edSigner {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return edSigner{key}
}

type fixture struct {
	h         *Handler
	clock     *clock
	store     *faultyStore
	passwords *countingPasswords
	throttle  *recordingThrottle
	observer  *recordingObserver
	logs      *logbuf.Buffer
	inspector *tokenstate.Inspector
	dpop      *verify.DPoPVerifier
	// ctx, if set, is the context of the requests post sends.
	ctx context.Context
}

// newFixture is the token endpoint with the harness's clients and the
// users kelvin, off (disabled) and limited (scopes: profile), whose
// password is goodPassword. An account is locked out after three failed
// logins, for a minute. Each of adjust may change the endpoint's options.
func newFixture(t *testing.T, adjust ...func(*Options)) *fixture {
	t.Helper()
	ctx := context.Background()
	c := testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	logs := &logbuf.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := backend.Open(ctx, t.TempDir()+"/auth.db", logger, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	hash, err := bcrypt.GenerateFromPassword([]byte(goodPassword), 4)
	if err != nil {
		t.Fatal(err)
	}
	now := c.Now()
	for _, u := range []store.User{
		{Username: "kelvin", PasswordHash: hash},
		{Username: "off", PasswordHash: hash, Disabled: true},
		{Username: "limited", PasswordHash: hash, Scopes: []string{"profile"}},
	} {
		u.CreatedAt, u.UpdatedAt = now, now
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, cl := range harnessClients {
		cl = harnessClient(cl.ID)
		cl.CreatedAt, cl.UpdatedAt = now, now
		if err := st.CreateClient(ctx, cl); err != nil {
			t.Fatal(err)
		}
	}
	hasher, err := password.NewHasher(4, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		clock:     c,
		store:     &faultyStore{Store: st},
		passwords: &countingPasswords{Hasher: hasher},
		throttle: &recordingThrottle{Throttle: throttle.New(throttle.Options{
			Account:   throttle.Policy{MaxFailures: 3, Lockout: time.Minute},
			Addresses: clientip.New(nil),
			Now:       c.Now,
		})},
		observer: &recordingObserver{},
		logs:     logs,
	}
	f.store.reset()
	signer := newEdSigner(t)
	// The signer's key is in the store, as the keyring's are: the
	// inspector refuses tokens of keys it does not know or that were
	// revoked.
	der, err := x509.MarshalPKCS8PrivateKey(signer.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSigningKey(ctx, store.SigningKey{ID: "test", Algorithm: "EdDSA", PrivateKey: der, CreatedAt: now, ActivatesAt: now}); err != nil {
		t.Fatal(err)
	}
	if f.dpop, err = verify.NewDPoP(verify.DPoPOptions{Now: c.Now}); err != nil {
		t.Fatal(err)
	}
	f.inspector = tokenstate.NewInspector("https://auth.example.com", f.store, signer, c.Now)
	opts := Options{
		Issuer:                  "https://auth.example.com",
		AccessTokenTTL:          accessTTL,
		RefreshTokenTTL:         refreshTTL,
		RefreshTokenAbsoluteTTL: familyTTL,
		RefreshTokenGrace:       refreshGrace,
		RefreshSuccessorKey:     successorKey,
		Now:                     c.Now,
		Logger:                  logger,
		Throttle:                f.throttle,
		Observer:                f.observer,
		SubjectTokens:           f.inspector,
		DPoP:                    f.dpop,
	}
	for _, a := range adjust {
		a(&opts)
	}
	f.h = NewHandler(opts, f.store, clientauth.New(f.store, nil, nil), f.passwords, signer)
	t.Cleanup(func() {
		// Whatever the test did, no credential reached the log.
		out := logs.String()
		for _, s := range []string{goodPassword, webSecret, svcSecret, "eyJ", "refresh_token="} {
			if strings.Contains(out, s) {
				t.Errorf("log contains %q", s)
			}
		}
	})
	return f
}

type answer struct {
	status int
	body   string
	header http.Header
}

// post sends form to the endpoint as client: with HTTP Basic for a
// confidential client, with client_id for a public one, without any
// client authentication for "". "id:secret" authenticates with that
// secret.
func (f *fixture) post(t *testing.T, client string, form url.Values) answer {
	t.Helper()
	return f.postWith(t, client, form, nil)
}

// postWith is post with extra request headers.
func (f *fixture) postWith(t *testing.T, client string, form url.Values, header http.Header) answer {
	t.Helper()
	form = cloneValues(form)
	client, sec, confidential := strings.Cut(client, ":")
	if !confidential {
		sec, confidential = secrets[client]
	}
	if client != "" && !confidential {
		form.Set("client_id", client)
	}
	r := httptest.NewRequest("POST", "/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if confidential {
		r.SetBasicAuth(client, url.QueryEscape(sec))
	}
	r.RemoteAddr = "192.0.2.1:4711"
	for k, vs := range header {
		r.Header[k] = vs
	}
	if f.ctx != nil {
		r = r.WithContext(f.ctx)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return answer{w.Code, string(b), w.Header()}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// login is a password grant through client web.
func (f *fixture) login(t *testing.T, name, pw string) answer {
	t.Helper()
	return f.post(t, "web", url.Values{"grant_type": {"password"}, "username": {name}, "password": {pw}})
}

// tokenResponse is the success answer's body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	// IssuedTokenType is set by token exchange.
	IssuedTokenType string `json:"issued_token_type"`
}

// issued decodes a success answer and the claims of its access token.
func issued(t *testing.T, a answer) (tokenResponse, claims.AccessToken) {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	var resp tokenResponse
	if err := json.Unmarshal([]byte(a.body), &resp); err != nil {
		t.Fatal(err)
	}
	var c claims.AccessToken
	if _, _, err := jwt.NewParser().ParseUnverified(resp.AccessToken, &c); err != nil {
		t.Fatal(err)
	}
	return resp, c
}

func subject(t *testing.T, a answer) string {
	t.Helper()
	_, c := issued(t, a)
	return c.Subject
}

// refusal is an error answer as a client sees it.
type refusal struct {
	status      int
	code        string
	description string
}

// wantRefusal checks that a is the RFC 6749 §5.2 answer want, with its
// headers.
func wantRefusal(t *testing.T, a answer, want refusal) {
	t.Helper()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal([]byte(a.body), &body); err != nil {
		t.Fatalf("body %q: %v", a.body, err)
	}
	if got := (refusal{a.status, body.Error, body.Description}); got != want {
		t.Errorf("answer %+v, want %+v", got, want)
	}
	if a.header.Get("Cache-Control") != "no-store" || a.header.Get("Content-Type") != "application/json;charset=UTF-8" {
		t.Errorf("headers %v", a.header)
	}
	if want.status == http.StatusUnauthorized && a.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without a challenge")
	}
	if want.code == "temporarily_unavailable" && a.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

// sameAnswer checks that b is indistinguishable from a.
func sameAnswer(t *testing.T, what string, a, b answer) {
	t.Helper()
	if a.status != b.status || a.body != b.body {
		t.Errorf("%s: %d %s, want the answer to a wrong password: %d %s", what, b.status, b.body, a.status, a.body)
	}
	for _, h := range []string{"Retry-After", "WWW-Authenticate", "Cache-Control", "Content-Type"} {
		if a.header.Get(h) != b.header.Get(h) {
			t.Errorf("%s: %s = %q, want %q", what, h, b.header.Get(h), a.header.Get(h))
		}
	}
}
