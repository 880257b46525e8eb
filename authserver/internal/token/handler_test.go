package token

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/fastsafe/fastsafe/authserver/internal/clientip"
	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/throttle"
)

const goodPassword = "correct horse battery staple"

// users is a Store holding users only; the client of these tests has no
// refresh_token grant, so nothing else is called.
type users struct {
	mu sync.Mutex
	m  map[string]store.User
}

func (u *users) GetUser(_ context.Context, name string) (store.User, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	usr, ok := u.m[name]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return usr, nil
}

func (u *users) UpdateUser(_ context.Context, name string, update func(store.User) (store.User, error)) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	usr, ok := u.m[name]
	if !ok {
		return store.ErrNotFound
	}
	usr, err := update(usr)
	if err == nil {
		u.m[name] = usr
	}
	return err
}

func (*users) GetRefreshToken(context.Context, string) (store.RefreshToken, store.RefreshFamily, error) {
	return store.RefreshToken{}, store.RefreshFamily{}, store.ErrNotFound
}
func (*users) RevokeRefreshFamily(context.Context, string, time.Time) error { return nil }
func (*users) CreateRefreshToken(context.Context, store.RefreshFamily, store.RefreshToken) error {
	return nil
}
func (*users) RotateRefreshToken(context.Context, string, time.Time, store.RefreshToken) error {
	return nil
}

var _ Store = (*users)(nil)

// oneClient authenticates every request as client.
type oneClient struct{ client store.Client }

func (o oneClient) Authenticate(context.Context, *http.Request, url.Values, bool) (store.Client, error) {
	return o.client, nil
}

var _ ClientAuthenticator = oneClient{}

// countingPasswords is the real hasher, counting the comparisons.
type countingPasswords struct {
	*password.Hasher
	verified atomic.Int64
}

func (c *countingPasswords) Verify(ctx context.Context, hash []byte, pw string) (bool, bool, error) {
	c.verified.Add(1)
	return c.Hasher.Verify(ctx, hash, pw)
}

var _ Passwords = (*countingPasswords)(nil)

// edSigner signs with a fresh Ed25519 key.
type edSigner struct{ key ed25519.PrivateKey }

func (s edSigner) Sign(c jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["typ"] = "at+jwt"
	t.Header["kid"] = "test"
	return t.SignedString(s.key)
}

var _ Signer = edSigner{}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	h         *Handler
	clock     *clock
	passwords *countingPasswords
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(goodPassword), 4)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := password.NewHasher(4, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	f := &fixture{clock: c, passwords: &countingPasswords{Hasher: hasher}}
	st := &users{m: map[string]store.User{
		"kelvin": {Username: "kelvin", PasswordHash: hash},
		"off":    {Username: "off", PasswordHash: hash, Disabled: true},
	}}
	guard := throttle.New(throttle.Options{
		Account:   throttle.Policy{MaxFailures: 3, Lockout: time.Minute},
		Addresses: clientip.New(nil),
		Now:       c.Now,
	})
	f.h = NewHandler(Options{
		Issuer:                  "https://auth.example.com",
		AccessTokenTTL:          time.Minute,
		RefreshTokenTTL:         time.Hour,
		RefreshTokenAbsoluteTTL: 2 * time.Hour,
		Now:                     c.Now,
		Throttle:                guard,
	}, st, oneClient{store.Client{ID: "web", SecretHash: []byte("x"), Grants: []string{GrantPassword}, Scopes: []string{"search"}, Audience: []string{"api"}}},
		f.passwords, edSigner{key})
	return f
}

type answer struct {
	status int
	body   string
	header http.Header
}

func (f *fixture) login(t *testing.T, name, pw string) answer {
	t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {name}, "password": {pw}}
	r := httptest.NewRequest("POST", "/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.RemoteAddr = "192.0.2.1:4711"
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return answer{w.Code, string(b), w.Header()}
}

func subject(t *testing.T, a answer) string {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	var resp struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(a.body), &resp); err != nil {
		t.Fatal(err)
	}
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(resp.AccessToken, &c); err != nil {
		t.Fatal(err)
	}
	return c.Subject
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

func TestPasswordGrantNormalisesUserNames(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"kelvin", "Kelvin", "\u212Aelvin", "ＫＥＬＶＩＮ"} {
		if sub := subject(t, f.login(t, name, goodPassword)); sub != "kelvin" {
			t.Errorf("login as %q: sub = %q, want kelvin", name, sub)
		}
	}
}

func TestPasswordGrantRefusesMalformedNamesAndPasswords(t *testing.T) {
	f := newFixture(t)
	wrong := f.login(t, "kelvin", "wrong password")
	tests := []struct {
		name, user, pw string
		compared       bool // whether a bcrypt comparison ran
	}{
		{"NUL in the name", "kelvin\x00", goodPassword, false},
		{"control character", "kel\x07vin", goodPassword, false},
		{"zero-width space", "kel\u200bvin", goodPassword, false},
		{"name too long", strings.Repeat("k", 300), goodPassword, false},
		{"password over bcrypt's 72 bytes", "kelvin", goodPassword + strings.Repeat("x", 60), false},
		{"unknown user", "nobody", goodPassword, true},
		{"disabled user, right password", "off", goodPassword, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.passwords.verified.Load()
			sameAnswer(t, tt.name, wrong, f.login(t, tt.user, tt.pw))
			if got := f.passwords.verified.Load() - before; (got > 0) != tt.compared {
				t.Errorf("bcrypt comparisons = %d, want any: %v", got, tt.compared)
			}
		})
	}
}

func TestPasswordGrantLockout(t *testing.T) {
	f := newFixture(t)
	wrong := f.login(t, "kelvin", "guess 1")
	f.login(t, "KELVIN", "guess 2")
	f.login(t, "\u212Aelvin", "guess 3") // three spellings, one account: locked
	before := f.passwords.verified.Load()
	sameAnswer(t, "right password while locked out", wrong, f.login(t, "kelvin", goodPassword))
	if f.passwords.verified.Load() == before {
		t.Error("a locked-out login skipped the password comparison, so it answers faster than a wrong password")
	}
	sameAnswer(t, "wrong password while locked out", wrong, f.login(t, "kelvin", "guess 4"))

	// An unknown name locks out the same way, so a lockout says nothing
	// about whether the account exists.
	for i := range 3 {
		f.login(t, "nobody", "guess "+string(rune('a'+i)))
	}
	sameAnswer(t, "unknown user locked out", wrong, f.login(t, "nobody", goodPassword))

	f.clock.Advance(time.Minute)
	if sub := subject(t, f.login(t, "kelvin", goodPassword)); sub != "kelvin" {
		t.Fatalf("sub = %q", sub)
	}
	// The success cleared the count: two more failures do not lock out.
	f.login(t, "kelvin", "guess 5")
	f.login(t, "kelvin", "guess 6")
	subject(t, f.login(t, "kelvin", goodPassword))
}
