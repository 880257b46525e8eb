package token

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	oerrors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// TestEveryGrantStaysOnTheEnginesPath runs every grant through the engine
// and the real store. Every part of the engine's storage that fastsafe
// does not use fails (TestEngineDisabledPathsFail), so a grant that
// reached one could not answer 200. It also pins the expiry bookkeeping
// the engine does for us: the access token's lifetime, and the refresh
// token's idle lifetime from the clock reading of the request, never past
// its family's.
func TestEveryGrantStaysOnTheEnginesPath(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	login := url.Values{"grant_type": {"password"}, "username": {"kelvin"}, "password": {goodPassword}}
	stored := func(value string) (store.RefreshToken, store.RefreshFamily) {
		t.Helper()
		rt, fam, err := f.store.GetRefreshToken(ctx, store.RefreshTokenID(value))
		if err != nil {
			t.Fatal(err)
		}
		return rt, fam
	}
	expiresIn := func(resp tokenResponse) {
		t.Helper()
		if resp.ExpiresIn != int64(accessTTL/time.Second) {
			t.Errorf("expires_in %d", resp.ExpiresIn)
		}
	}

	cc, _ := issued(t, f.post(t, "svc", url.Values{"grant_type": {"client_credentials"}}))
	expiresIn(cc)
	noRefresh, _ := issued(t, f.post(t, "pw", login))
	expiresIn(noRefresh)

	for _, client := range []string{"web", "pub"} {
		t.Run(client, func(t *testing.T) {
			start := f.clock.Now()
			first, c := issued(t, f.post(t, client, login))
			expiresIn(first)
			rt, fam := stored(first.RefreshToken)
			if rt.FamilyID != c.SessionID || rt.ClientID != client || rt.Subject != "kelvin" || !rt.CreatedAt.Equal(start) ||
				!rt.ExpiresAt.Equal(start.Add(refreshTTL)) || !fam.ExpiresAt.Equal(start.Add(familyTTL)) {
				t.Errorf("stored after login: %+v in %+v", rt, fam)
			}

			f.clock.Advance(10 * time.Minute)
			now := f.clock.Now()
			second, c2 := issued(t, f.post(t, client, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}))
			expiresIn(second)
			if old, _ := stored(first.RefreshToken); !old.UsedAt.Equal(now) {
				t.Errorf("the presented token was not marked used at the request's time: %+v", old)
			}
			next, _ := stored(second.RefreshToken)
			if next.FamilyID != fam.ID || c2.SessionID != fam.ID || !next.ExpiresAt.Equal(now.Add(refreshTTL)) ||
				!slices.Equal(next.Scopes, rt.Scopes) || !slices.Equal(next.Audience, rt.Audience) {
				t.Errorf("stored after refresh: %+v", next)
			}

			// Less than the idle lifetime before the family's end, the
			// successor expires with the family.
			f.clock.Advance(55 * time.Minute)
			if left := fam.ExpiresAt.Sub(f.clock.Now()); left >= refreshTTL {
				t.Fatalf("%v left of the family", left)
			}
			third, _ := issued(t, f.post(t, client, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {second.RefreshToken}}))
			if last, _ := stored(third.RefreshToken); !last.ExpiresAt.Equal(fam.ExpiresAt) {
				t.Errorf("idle expiry %v, want the family's %v", last.ExpiresAt, fam.ExpiresAt)
			}
		})
	}
}

// TestEngineDisabledPathsFail: each part of the engine's storage that
// fastsafe does not use, reached through the engine, fails with
// errDisabledPath, as do callbacks asked for something else than the
// request's decision.
func TestEngineDisabledPathsFail(t *testing.T) {
	ctx := context.Background()
	e := newEngine("https://auth.example.com", accessTTL, refreshTTL, newEdSigner(t), nil, refreshRetry{}, func() {})
	client := harnessClient("web")
	password := &decision{grant: oauth2.PasswordCredentials, client: client, now: refreshNow, subject: "kelvin"}
	tgr := func() *oauth2.TokenGenerateRequest {
		return &oauth2.TokenGenerateRequest{ClientID: client.ID, Request: httptest.NewRequest("POST", "/token", nil)}
	}
	tests := []struct {
		name string
		d    *decision
		run  func(m *manage.Manager, s tokenStore) error
	}{
		{"TokenStore.GetByCode", password, func(m *manage.Manager, _ tokenStore) error {
			r := tgr()
			r.Code = "a-code"
			_, err := m.GenerateAccessToken(ctx, oauth2.AuthorizationCode, r)
			return err
		}},
		{"TokenStore.RemoveByCode", password, func(_ *manage.Manager, s tokenStore) error {
			return s.RemoveByCode(ctx, "a-code") // the engine calls it only after GetByCode
		}},
		{"TokenStore.RemoveByAccess", password, func(m *manage.Manager, _ tokenStore) error {
			return m.RemoveAccessToken(ctx, "an-access-token")
		}},
		{"TokenStore.RemoveByRefresh", password, func(m *manage.Manager, _ tokenStore) error {
			return m.RemoveRefreshToken(ctx, "a-refresh-token")
		}},
		{"TokenStore.GetByAccess", password, func(m *manage.Manager, _ tokenStore) error {
			_, err := m.LoadAccessToken(ctx, "an-access-token")
			return err
		}},
		{"AuthorizeGenerate.Token", password, func(m *manage.Manager, _ tokenStore) error {
			_, err := m.GenerateAuthToken(ctx, oauth2.Code, tgr())
			return err
		}},
		{"TokenStore.Create of a code", password, func(_ *manage.Manager, s tokenStore) error {
			ti := models.NewToken()
			ti.SetCode("a-code")
			return s.Create(ctx, ti)
		}},
		{"TokenStore.Create of a refresh token not decided", password, func(_ *manage.Manager, s tokenStore) error {
			ti := models.NewToken()
			ti.SetRefresh("a-refresh-token")
			return s.Create(ctx, ti)
		}},
		{"TokenStore.GetByRefresh without a rotation", password, func(m *manage.Manager, _ tokenStore) error {
			_, err := m.LoadRefreshToken(ctx, "a-refresh-token")
			return err
		}},
		{"TokenStore.GetByRefresh of another token", &decision{grant: oauth2.Refreshing, client: client, refresh: &refreshDecision{rotateFrom: "id", presented: "mine"}},
			func(m *manage.Manager, _ tokenStore) error {
				_, err := m.RefreshAccessToken(ctx, &oauth2.TokenGenerateRequest{Refresh: "another"})
				return err
			}},
		{"ClientStore.GetByID of another client", password, func(m *manage.Manager, _ tokenStore) error {
			_, err := m.GetClient(ctx, "svc")
			return err
		}},
		{"a refresh token the engine was not told to make", &decision{grant: oauth2.ClientCredentials, client: client, refresh: &refreshDecision{}},
			func(m *manage.Manager, _ tokenStore) error {
				_, err := m.GenerateAccessToken(ctx, oauth2.ClientCredentials, tgr())
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := e.bind(tt.d, client.ID)
			err := tt.run(m, tokenStore{&binding{engine: e, d: tt.d, authenticated: client.ID}})
			if !errors.Is(err, errDisabledPath) {
				t.Fatalf("err = %v, want errDisabledPath", err)
			}
		})
	}
}

// TestDisabledPathIsAServerError: were the engine configured to take a
// path fastsafe disabled, the request fails with a logged 500, never a
// silent success.
func TestDisabledPathIsAServerError(t *testing.T) {
	for name, cfg := range map[string]manage.RefreshingConfig{
		"RemoveByAccess":  {IsRemoveAccess: true},
		"RemoveByRefresh": {IsRemoveRefreshing: true},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			cfg.AccessTokenExp, cfg.RefreshTokenExp, cfg.IsGenerateRefresh = accessTTL, refreshTTL, true
			f.h.engine.refreshCfg = &cfg
			first, _ := issued(t, f.login(t, "kelvin", goodPassword))
			f.observer.take()
			a := f.post(t, "web", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}})
			wantRefusal(t, a, refusal{500, "server_error", "internal error"})
			wantObserved(t, f.observer, "error token server_error")
			logged := f.logs.String()
			if !strings.Contains(logged, `"msg":"request failed","error_code":"server_error"`) || !strings.Contains(logged, "TokenStore."+name) {
				t.Errorf("not logged: %s", logged)
			}
		})
	}
}

// TestEngineClientCheck: the engine's own client check answers with
// clientauth's result for the request, and is never handed a secret; its
// refusal of a public client for client_credentials stays in force.
func TestEngineClientCheck(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := httptest.NewRequest("POST", "/token", nil)
	svc, pub := harnessClient("svc"), harnessClient("pub")
	tests := []struct {
		name          string
		client        store.Client
		authenticated string
		ok            bool
	}{
		{"authenticated", svc, "svc", true},
		{"another client authenticated", svc, "web", false},
		{"none authenticated", svc, "", false},
		{"public client, client_credentials", pub, "pub", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := decideClientCredentials(tt.client, clientCredentialsRequest{}, f.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.h.engine.issue(ctx, r, tt.authenticated, &d)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, oerrors.ErrInvalidClient)) {
				t.Fatalf("err = %v, want success: %v", err, tt.ok)
			}
			if err != nil {
				if e := f.h.engineError(err); e.Error() != "server_error: internal error: invalid_client" {
					t.Errorf("answered as %v, want a server error", e)
				}
			}
		})
	}
	if (engineClient{c: svc, authenticated: true}).VerifyPassword("a-secret") {
		t.Error("the engine client accepts a secret the engine should never have been given")
	}
}
