package token

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-oauth2/oauth2/v4"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// oneRefreshToken is a refreshTokenStore holding one refresh token, its
// family and its user, whose methods fail with the errors set.
type oneRefreshToken struct {
	token                   store.RefreshToken
	family                  store.RefreshFamily
	user                    store.User
	getErr, revokeErr, uErr error
	gets                    int
	revoked                 []string
}

func (s *oneRefreshToken) GetRefreshToken(_ context.Context, id string) (store.RefreshToken, store.RefreshFamily, error) {
	s.gets++
	switch {
	case s.getErr != nil:
		return store.RefreshToken{}, store.RefreshFamily{}, s.getErr
	case id != s.token.ID:
		return store.RefreshToken{}, store.RefreshFamily{}, store.ErrNotFound
	}
	return s.token, s.family, nil
}

func (s *oneRefreshToken) RevokeRefreshFamily(_ context.Context, id string, _ time.Time) error {
	if s.revokeErr != nil {
		return s.revokeErr
	}
	s.revoked = append(s.revoked, id)
	return nil
}

func (s *oneRefreshToken) GetUser(_ context.Context, name string) (store.User, error) {
	switch {
	case s.uErr != nil:
		return store.User{}, s.uErr
	case name != s.user.Username:
		return store.User{}, store.ErrNotFound
	}
	return s.user, nil
}

const presented = "a-refresh-token-value"

var refreshNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// newOneRefreshToken is kelvin's unused refresh token of client web, with
// the scopes search and profile, in an active family.
func newOneRefreshToken() *oneRefreshToken {
	return &oneRefreshToken{
		token: store.RefreshToken{
			ID: store.RefreshTokenID(presented), FamilyID: "fam", ClientID: "web", Subject: "kelvin",
			Scopes: []string{"search", "profile"}, Audience: []string{"api", "other-api"},
			CreatedAt: refreshNow.Add(-time.Minute), ExpiresAt: refreshNow.Add(time.Hour),
		},
		family: store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "kelvin", CreatedAt: refreshNow.Add(-time.Hour), ExpiresAt: refreshNow.Add(2 * time.Hour)},
		user:   store.User{Username: "kelvin"},
	}
}

// TestRefreshTokenGrantRefusals: every refusal of the refresh_token grant
// before the engine runs, with the revocation it causes.
func TestRefreshTokenGrantRefusals(t *testing.T) {
	invalid := refusal{400, "invalid_grant", "the refresh token is invalid, expired or revoked"}
	unavailable := refusal{503, "temporarily_unavailable", "the service is temporarily unavailable, try again later"}
	disk := errors.New("disk on fire")
	valid := refreshTokenRequest{refreshToken: presented}
	tests := []struct {
		name    string
		setup   func(s *oneRefreshToken)
		req     refreshTokenRequest
		want    refusal
		revoked bool // the family is revoked as reused
		noRead  bool // refused without reading the store
	}{
		{name: "no refresh token", req: refreshTokenRequest{},
			want: refusal{400, "invalid_request", "refresh_token is required"}, noRead: true},
		{name: "longer than any refresh token", req: refreshTokenRequest{refreshToken: strings.Repeat("r", maxRefreshLen+1)},
			want: invalid, noRead: true},
		{name: "unknown", req: refreshTokenRequest{refreshToken: "another-value"}, want: invalid},
		{name: "store cannot read it", req: valid, setup: func(s *oneRefreshToken) { s.getErr = disk }, want: unavailable},
		{name: "another client's", req: valid, setup: func(s *oneRefreshToken) { s.token.ClientID = "pub" }, want: invalid},
		{name: "family revoked", req: valid, setup: func(s *oneRefreshToken) { s.family.RevokedAt = refreshNow.Add(-time.Second) }, want: invalid},
		{name: "idle expiry reached", req: valid, setup: func(s *oneRefreshToken) { s.token.ExpiresAt = refreshNow }, want: invalid},
		{name: "family's absolute expiry reached", req: valid, setup: func(s *oneRefreshToken) { s.family.ExpiresAt = refreshNow }, want: invalid},
		{name: "already rotated: reuse", req: valid, setup: func(s *oneRefreshToken) { s.token.UsedAt = refreshNow.Add(-time.Second) },
			want: invalid, revoked: true},
		{name: "already rotated, revocation fails", req: valid, setup: func(s *oneRefreshToken) {
			s.token.UsedAt = refreshNow.Add(-time.Second)
			s.revokeErr = disk
		}, want: unavailable},
		{name: "user gone", req: valid, setup: func(s *oneRefreshToken) { s.user.Username = "someone-else" }, want: invalid},
		{name: "store cannot read the user", req: valid, setup: func(s *oneRefreshToken) { s.uErr = disk }, want: unavailable},
		{name: "user disabled", req: valid, setup: func(s *oneRefreshToken) { s.user.Disabled = true }, want: invalid},
		{name: "scope beyond the grant's", req: refreshTokenRequest{refreshToken: presented, scope: "search admin"},
			want: refusal{400, "invalid_scope", "a requested scope is not allowed for this client"}},
		{name: "scope with a character RFC 6749 forbids", req: refreshTokenRequest{refreshToken: presented, scope: `se\arch`},
			want: refusal{400, "invalid_scope", "scope contains characters RFC 6749 §3.3 does not allow"}},
		{name: "resource beyond the grant's audience", req: refreshTokenRequest{refreshToken: presented, resources: []string{"https://evil.example"}},
			want: refusal{400, "invalid_target", "a requested resource is not an audience this client may have"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newOneRefreshToken()
			if tt.setup != nil {
				tt.setup(s)
			}
			logs := &logbuf.Buffer{}
			obs := &recordingObserver{}
			g := &refreshTokenGrant{tokens: s, logger: slog.New(slog.NewJSONHandler(logs, nil)), observer: obs}
			_, err := g.decide(context.Background(), harnessClient("web"), tt.req, refreshNow)
			var oe *oautherr.Error
			if !errors.As(err, &oe) {
				t.Fatalf("err = %v, want an OAuth error", err)
			}
			if got := (refusal{oe.HTTPStatus(), oe.Code, oe.Description}); got != tt.want {
				t.Errorf("refusal %+v, want %+v", got, tt.want)
			}
			if (s.gets == 0) != tt.noRead {
				t.Errorf("store read %d times", s.gets)
			}
			wantRevoked := []string(nil)
			if tt.revoked {
				wantRevoked = []string{"fam"}
			}
			if !slices.Equal(s.revoked, wantRevoked) {
				t.Errorf("revoked families %q, want %q", s.revoked, wantRevoked)
			}
			if reuse := slices.Equal(obs.take(), []string{"reuse"}); reuse != tt.revoked {
				t.Errorf("reuse observed: %v, want %v", reuse, tt.revoked)
			}
			if warned := strings.Contains(logs.String(), `"msg":"refresh token reuse detected; grant revoked","client_id":"web","family":"fam"`); warned != tt.revoked {
				t.Errorf("reuse logged: %v, want %v: %s", warned, tt.revoked, logs)
			}
		})
	}
}

// TestRefreshTokenGrantDecides: the rotation a refresh decides.
func TestRefreshTokenGrantDecides(t *testing.T) {
	s := newOneRefreshToken()
	g := &refreshTokenGrant{tokens: s, logger: slog.New(slog.DiscardHandler), observer: noObserver{}}
	d, err := g.decide(context.Background(), harnessClient("web"), refreshTokenRequest{refreshToken: presented, scope: "profile", resources: []string{"other-api"}}, refreshNow)
	if err != nil {
		t.Fatal(err)
	}
	if d.grant != oauth2.Refreshing || d.client.ID != "web" || !d.now.Equal(refreshNow) || d.subject != "kelvin" ||
		!slices.Equal(d.scopes, []string{"profile"}) || !slices.Equal(d.audience, []string{"other-api"}) {
		t.Errorf("decision %+v", d)
	}
	r := d.refresh
	if r == nil || r.family != s.family || r.rotateFrom != s.token.ID || r.presented != presented ||
		!slices.Equal(r.scopes, s.token.Scopes) || !slices.Equal(r.audience, s.token.Audience) {
		t.Errorf("refresh decision %+v: want a rotation in the same family keeping the grant's scope and audience", r)
	}
}

// TestRefreshTokenGrantNarrowsToTodaysScopes: an administrator narrowed
// the client's or the user's scopes since the login. The refreshed access
// token gets only what both may have now; the grant keeps its scope, so
// that what is given back later comes back.
func TestRefreshTokenGrantNarrowsToTodaysScopes(t *testing.T) {
	tests := []struct {
		name         string
		client, user []string
		requested    string
		want         []string
	}{
		{"nothing narrowed", []string{"search", "profile"}, nil, "", []string{"search", "profile"}},
		{"client narrowed", []string{"search"}, nil, "", []string{"search"}},
		{"user narrowed", []string{"search", "profile"}, []string{"profile"}, "", []string{"profile"}},
		{"both narrowed", []string{"search", "admin"}, []string{"profile", "admin"}, "", []string{}},
		{"client has none of them left", []string{"admin"}, nil, "", []string{}},
		{"request within the grant but beyond today's client", []string{"profile"}, nil, "search profile", []string{"profile"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newOneRefreshToken()
			s.user.Scopes = tt.user
			client := harnessClient("web")
			client.Scopes = tt.client
			g := &refreshTokenGrant{tokens: s, logger: slog.New(slog.DiscardHandler), observer: noObserver{}}
			d, err := g.decide(context.Background(), client, refreshTokenRequest{refreshToken: presented, scope: tt.requested}, refreshNow)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.scopes, tt.want) {
				t.Errorf("access token scopes %q, want %q", d.scopes, tt.want)
			}
			if !slices.Equal(d.refresh.scopes, []string{"search", "profile"}) {
				t.Errorf("the new refresh token's scopes %q, want the grant's", d.refresh.scopes)
			}
		})
	}
}

// TestRefreshTokenGrantIssueRefusals: the refusals of a refresh decided
// good that the store refuses to rotate, having lost a race with another
// refresh of the same token; and a client not allowed to refresh.
func TestRefreshTokenGrantIssueRefusals(t *testing.T) {
	invalid := refusal{400, "invalid_grant", "the refresh token is invalid, expired or revoked"}
	tests := []struct {
		name    string
		client  string
		rotate  error // what RotateRefreshToken returns
		want    refusal
		observe []string
	}{
		{"rotated meanwhile: reuse", "web", store.ErrTokenReused, invalid, []string{"reuse", "error token invalid_grant"}},
		{"gone meanwhile", "web", store.ErrNotFound, invalid, []string{"error token invalid_grant"}},
		{"store cannot rotate it", "web", errors.New("disk on fire"),
			refusal{503, "temporarily_unavailable", "the service is temporarily unavailable, try again later"}, []string{"error token temporarily_unavailable"}},
		{"client without the refresh_token grant", "pw", nil,
			refusal{400, "unauthorized_client", "the client may not use the refresh_token grant"}, []string{"error token unauthorized_client"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			resp, _ := issued(t, f.login(t, "kelvin", goodPassword))
			f.observer.take()
			if tt.rotate != nil {
				f.store.failing("RotateRefreshToken", tt.rotate)
			}
			a := f.post(t, tt.client, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {resp.RefreshToken}})
			wantRefusal(t, a, tt.want)
			wantObserved(t, f.observer, tt.observe...)
		})
	}
}

// TestRefreshTokenGrantAfterNarrowing: through the endpoint and a real
// store, a refresh after the client's scopes were narrowed gets the
// narrowed scope, and the next, after they were given back, the grant's.
func TestRefreshTokenGrantAfterNarrowing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	setScopes := func(scopes ...string) {
		t.Helper()
		if err := f.store.UpdateClient(ctx, "web", func(c store.Client) (store.Client, error) { c.Scopes = scopes; return c, nil }); err != nil {
			t.Fatal(err)
		}
	}
	refresh := func(value string) (tokenResponse, string) {
		t.Helper()
		resp, c := issued(t, f.post(t, "web", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {value}}))
		return resp, c.Scope
	}
	first, _ := issued(t, f.login(t, "kelvin", goodPassword))
	setScopes("search")
	second, scope := refresh(first.RefreshToken)
	if second.Scope != "search" || scope != "search" {
		t.Errorf("after narrowing: scope %q, claim %q, want search", second.Scope, scope)
	}
	setScopes("admin")
	third, scope := refresh(second.RefreshToken)
	if third.Scope != "" || scope != "" {
		t.Errorf("with none of the grant's scopes left: scope %q, claim %q, want none", third.Scope, scope)
	}
	setScopes("search", "profile")
	if fourth, scope := refresh(third.RefreshToken); fourth.Scope != "search profile" || scope != "search profile" {
		t.Errorf("given back: scope %q, claim %q, want the grant's", fourth.Scope, scope)
	}
}
