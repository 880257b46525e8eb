package token

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-oauth2/oauth2/v4"

	"github.com/fastsafe/fastsafe/authserver/internal/login"
	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// TestPasswordGrantRefusals: every refusal of the password grant, as the
// client sees it, with what the throttle was told and whether a bcrypt
// comparison ran.
func TestPasswordGrantRefusals(t *testing.T) {
	badLogin := refusal{400, "invalid_grant", "invalid username or password"}
	unavailable := refusal{503, "temporarily_unavailable", "the service is temporarily unavailable, try again later"}
	notAllowed := refusal{400, "invalid_scope", "a requested scope is not allowed for this client"}
	tests := []struct {
		name     string
		setup    func(t *testing.T, f *fixture)
		form     url.Values
		want     refusal
		failed   []string // failed logins the throttle is told of
		compared bool     // whether a bcrypt comparison ran
	}{
		{name: "no user name", form: url.Values{"password": {goodPassword}},
			want: refusal{400, "invalid_request", "username and password are required"}},
		{name: "no password", form: url.Values{"username": {"kelvin"}},
			want: refusal{400, "invalid_request", "username and password are required"}},
		{name: "scope the client may not have", form: url.Values{"username": {"kelvin"}, "password": {goodPassword}, "scope": {"admin"}},
			want: notAllowed},
		{name: "scope with a character RFC 6749 forbids", form: url.Values{"username": {"kelvin"}, "password": {goodPassword}, "scope": {`se"arch`}},
			want: refusal{400, "invalid_scope", "scope contains characters RFC 6749 §3.3 does not allow"}},
		{name: "resource the client may not have", form: url.Values{"username": {"kelvin"}, "password": {goodPassword}, "resource": {"https://evil.example"}},
			want: refusal{400, "invalid_target", "a requested resource is not an audience this client may have"}},
		{name: "name too long", form: url.Values{"username": {strings.Repeat("k", login.MaxUsernameLen+1)}, "password": {goodPassword}},
			want: badLogin, failed: []string{"web/"}},
		{name: "password over bcrypt's 72 bytes", form: url.Values{"username": {"kelvin"}, "password": {goodPassword + strings.Repeat("x", 50)}},
			want: badLogin, failed: []string{"web/"}},
		{name: "name that does not normalise", form: url.Values{"username": {"kel\u200bvin"}, "password": {goodPassword}},
			want: badLogin, failed: []string{"web/"}},
		{name: "unknown user", form: url.Values{"username": {"nobody"}, "password": {goodPassword}},
			want: badLogin, failed: []string{"web/nobody"}, compared: true},
		{name: "wrong password", form: url.Values{"username": {"Kelvin"}, "password": {"wrong"}},
			want: badLogin, failed: []string{"web/kelvin"}, compared: true},
		{name: "disabled user", form: url.Values{"username": {"off"}, "password": {goodPassword}},
			want: badLogin, failed: []string{"web/off"}, compared: true},
		{name: "locked out, right password",
			setup: func(t *testing.T, f *fixture) {
				for range 3 {
					f.login(t, "kelvin", "guess")
				}
				f.throttle.takeFailed()
				f.observer.take()
			},
			form: url.Values{"username": {"kelvin"}, "password": {goodPassword}},
			want: badLogin, failed: []string{"web/kelvin"}, compared: true},
		{name: "right password, scope the user may not have", form: url.Values{"username": {"limited"}, "password": {goodPassword}, "scope": {"search"}},
			want: notAllowed, compared: true},
		{name: "store cannot read the user",
			setup: func(t *testing.T, f *fixture) { f.store.failing("GetUser", errors.New("disk on fire")) },
			form:  url.Values{"username": {"kelvin"}, "password": {goodPassword}},
			want:  unavailable},
		{name: "stored hash unreadable",
			setup: func(t *testing.T, f *fixture) {
				f.passwords.fail = func(context.Context) error { return password.ErrMalformedHash }
			},
			form: url.Values{"username": {"kelvin"}, "password": {goodPassword}},
			want: badLogin, compared: true},
		{name: "request cancelled during the comparison",
			setup: func(t *testing.T, f *fixture) {
				ctx, cancel := context.WithCancel(context.Background())
				f.ctx = ctx
				f.passwords.fail = func(context.Context) error { cancel(); return ctx.Err() }
			},
			form: url.Values{"username": {"kelvin"}, "password": {goodPassword}},
			want: unavailable, compared: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(t, f)
			}
			before := f.passwords.verified.Load()
			form := cloneValues(tt.form)
			form.Set("grant_type", "password")
			wantRefusal(t, f.post(t, "web", form), tt.want)
			if got := f.throttle.takeFailed(); !slices.Equal(got, tt.failed) {
				t.Errorf("failed logins told to the throttle: %q, want %q", got, tt.failed)
			}
			if got := f.passwords.verified.Load() - before; (got > 0) != tt.compared {
				t.Errorf("bcrypt comparisons = %d, want any: %v", got, tt.compared)
			}
			wantObserved(t, f.observer, "error token "+tt.want.code)
		})
	}
}

// TestPasswordGrantDecides: what the password grant decides, read from
// the decision it returns.
func TestPasswordGrantDecides(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	client := func(id string) store.Client {
		c, err := f.store.GetClient(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := f.clock.Now()
	tests := []struct {
		name      string
		client    string
		req       passwordRequest
		subject   string
		scopes    []string
		audience  []string
		newFamily bool
	}{
		{"everything the client may have", "web", passwordRequest{username: "kelvin", password: goodPassword},
			"kelvin", []string{"search", "profile"}, []string{"api", "other-api"}, true},
		{"narrowed, under another spelling", "web", passwordRequest{username: "ＫＥＬＶＩＮ", password: goodPassword, scope: "profile", resources: []string{"other-api"}},
			"kelvin", []string{"profile"}, []string{"other-api"}, true},
		{"what the user may have", "web", passwordRequest{username: "limited", password: goodPassword},
			"limited", []string{"profile"}, []string{"api", "other-api"}, true},
		{"a client without the refresh_token grant", "pw", passwordRequest{username: "kelvin", password: goodPassword},
			"kelvin", []string{"search"}, []string{"api"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.source = &http.Request{RemoteAddr: "192.0.2.1:4711"}
			d, err := f.h.password.decide(ctx, client(tt.client), tt.req, now)
			if err != nil {
				t.Fatal(err)
			}
			if d.grant != oauth2.PasswordCredentials || d.client.ID != tt.client || !d.now.Equal(now) || d.subject != tt.subject ||
				!slices.Equal(d.scopes, tt.scopes) || !slices.Equal(d.audience, tt.audience) {
				t.Errorf("decision %+v", d)
			}
			if (d.refresh != nil) != tt.newFamily {
				t.Fatalf("refresh = %+v, want a new family: %v", d.refresh, tt.newFamily)
			}
			if d.refresh == nil {
				return
			}
			r := d.refresh
			if r.rotateFrom != "" || r.presented != "" || r.family.ID == "" || r.family.ClientID != tt.client || r.family.Subject != tt.subject ||
				!r.family.CreatedAt.Equal(now) || !r.family.ExpiresAt.Equal(now.Add(familyTTL)) || r.family.Revoked() ||
				!slices.Equal(r.scopes, tt.scopes) || !slices.Equal(r.audience, tt.audience) {
				t.Errorf("refresh decision %+v", r)
			}
		})
	}
	// Each login starts a family of its own.
	a, _ := f.h.password.decide(ctx, client("web"), passwordRequest{username: "kelvin", password: goodPassword, source: &http.Request{}}, now)
	b, _ := f.h.password.decide(ctx, client("web"), passwordRequest{username: "kelvin", password: goodPassword, source: &http.Request{}}, now)
	if a.refresh.family.ID == b.refresh.family.ID {
		t.Error("two logins share a refresh family")
	}
}

func TestPasswordGrantAnswer(t *testing.T) {
	f := newFixture(t)
	resp, c := issued(t, f.login(t, "kelvin", goodPassword))
	if resp.TokenType != "Bearer" || resp.ExpiresIn != int64(accessTTL/time.Second) || resp.RefreshToken == "" || resp.Scope != "search profile" {
		t.Errorf("answer %+v", resp)
	}
	if c.Subject != "kelvin" || c.ClientID != "web" || c.Scope != "search profile" || c.SessionID == "" ||
		!c.IssuedAt.Equal(f.clock.Now()) || !c.ExpiresAt.Equal(f.clock.Now().Add(accessTTL)) {
		t.Errorf("claims %+v", c)
	}
	wantObserved(t, f.observer, "issued password web")
	resp, c = issued(t, f.post(t, "pw", url.Values{"grant_type": {"password"}, "username": {"kelvin"}, "password": {goodPassword}}))
	if resp.RefreshToken != "" || c.SessionID != "" {
		t.Errorf("a client without the refresh_token grant got %+v, sid %q", resp, c.SessionID)
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
