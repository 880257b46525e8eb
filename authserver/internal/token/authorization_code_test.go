package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/idtoken"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// verifier is the PKCE code verifier of the test codes; challenge is its
// S256 challenge (RFC 7636 §4.2).
const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

var challenge = func() string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}()

// codeFor issues, through the endpoint's engine as the authorization
// endpoint does, a code for kelvin to client, after a sign-in in a
// session that lasts an hour. edit changes the decision first.
func (f *fixture) codeFor(t *testing.T, client string, edit func(*store.AuthCode)) (string, store.AuthCode) {
	t.Helper()
	ctx := context.Background()
	now := f.clock.Now()
	sess := store.Session{ID: rand.Text(), CookieHash: rand.Text(),
		Subject: "kelvin", AuthTime: now.Add(-time.Minute), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := f.store.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	c := harnessClient(client)
	rec := store.AuthCode{
		ClientID:      client,
		Subject:       "kelvin",
		RedirectURI:   c.RedirectURIs[0],
		Scopes:        []string{"openid", "profile", "search"},
		Audience:      c.Audience,
		CodeChallenge: challenge,
		Nonce:         "n-0S6_WzA2Mj",
		SessionID:     sess.ID,
		AuthTime:      sess.AuthTime,
		FamilyID:      "fam-" + sess.ID,
		CreatedAt:     now,
		ExpiresAt:     now.Add(time.Minute),
	}
	if edit != nil {
		edit(&rec)
	}
	code, err := f.h.IssueCode(ctx, httptest.NewRequest("GET", "/authorize", nil), c, rec)
	if err != nil {
		t.Fatalf("IssueCode: %v", err)
	}
	return code, rec
}

// exchange is the token request for code.
func exchange(code, redirect string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
}

// TestAuthorizationCodeRefusals: every refusal of the authorization_code
// grant, as the client sees it.
func TestAuthorizationCodeRefusals(t *testing.T) {
	invalid := refusal{400, "invalid_grant", "the authorization code is invalid, expired or used, or the code_verifier does not match"}
	tests := []struct {
		name   string
		client string
		// prepare runs before the request; it returns the form to send
		// (from the issued code and its record).
		prepare func(t *testing.T, f *fixture, code string, rec store.AuthCode) url.Values
		want    refusal
	}{
		{"no code", "app", func(_ *testing.T, _ *fixture, _ string, rec store.AuthCode) url.Values {
			v := exchange("", rec.RedirectURI)
			v.Del("code")
			return v
		}, refusal{400, "invalid_request", "code is required"}},
		{"no redirect_uri", "app", func(_ *testing.T, _ *fixture, code string, _ store.AuthCode) url.Values {
			v := exchange(code, "")
			v.Del("redirect_uri")
			return v
		}, refusal{400, "invalid_request", "redirect_uri is required"}},
		{"no code_verifier", "app", func(_ *testing.T, _ *fixture, code string, rec store.AuthCode) url.Values {
			v := exchange(code, rec.RedirectURI)
			v.Del("code_verifier")
			return v
		}, invalid},
		{"code_verifier too short", "app", func(_ *testing.T, _ *fixture, code string, rec store.AuthCode) url.Values {
			v := exchange(code, rec.RedirectURI)
			v.Set("code_verifier", verifier[:42])
			return v
		}, invalid},
		{"code_verifier with a character RFC 7636 forbids", "app", func(_ *testing.T, _ *fixture, code string, rec store.AuthCode) url.Values {
			v := exchange(code, rec.RedirectURI)
			v.Set("code_verifier", verifier[:42]+"+")
			return v
		}, invalid},
		{"wrong code_verifier", "app", func(_ *testing.T, _ *fixture, code string, rec store.AuthCode) url.Values {
			v := exchange(code, rec.RedirectURI)
			v.Set("code_verifier", strings.Repeat("x", 43))
			return v
		}, invalid},
		{"the challenge as verifier (plain)", "app", func(_ *testing.T, _ *fixture, code string, rec store.AuthCode) url.Values {
			v := exchange(code, rec.RedirectURI)
			v.Set("code_verifier", challenge)
			return v
		}, invalid},
		{"unknown code", "app", func(_ *testing.T, _ *fixture, _ string, rec store.AuthCode) url.Values {
			return exchange("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", rec.RedirectURI)
		}, invalid},
		{"code too long", "app", func(_ *testing.T, _ *fixture, code string, rec store.AuthCode) url.Values {
			return exchange(strings.Repeat(code, 20), rec.RedirectURI)
		}, invalid},
		{"other redirect_uri", "app", func(_ *testing.T, _ *fixture, code string, _ store.AuthCode) url.Values {
			return exchange(code, "https://app.example/cb/")
		}, invalid},
		{"code issued to another client", "spa", func(_ *testing.T, _ *fixture, code string, rec store.AuthCode) url.Values {
			return exchange(code, rec.RedirectURI)
		}, invalid},
		{"expired", "app", func(_ *testing.T, f *fixture, code string, rec store.AuthCode) url.Values {
			f.clock.Advance(time.Minute)
			return exchange(code, rec.RedirectURI)
		}, invalid},
		{"signed out since", "app", func(t *testing.T, f *fixture, code string, rec store.AuthCode) url.Values {
			if err := f.store.DeleteSession(context.Background(), rec.SessionID); err != nil {
				t.Fatal(err)
			}
			return exchange(code, rec.RedirectURI)
		}, invalid},
		{"user disabled since", "app", func(t *testing.T, f *fixture, code string, rec store.AuthCode) url.Values {
			setDisabled(t, f, "kelvin", true)
			return exchange(code, rec.RedirectURI)
		}, invalid},
		{"user deleted since", "app", func(t *testing.T, f *fixture, code string, rec store.AuthCode) url.Values {
			if err := f.store.DeleteUser(context.Background(), "kelvin"); err != nil {
				t.Fatal(err)
			}
			return exchange(code, rec.RedirectURI)
		}, invalid},
		{"resource outside the code's audience", "app", func(_ *testing.T, _ *fixture, code string, rec store.AuthCode) url.Values {
			v := exchange(code, rec.RedirectURI)
			v["resource"] = []string{"https://evil.example"}
			return v
		}, refusal{400, "invalid_target", "a requested resource is not an audience this client may have"}},
		{"wrong client secret", "app:wrong", func(_ *testing.T, _ *fixture, code string, rec store.AuthCode) url.Values {
			return exchange(code, rec.RedirectURI)
		}, refusal{401, "invalid_client", "client authentication failed"}},
		{"client without the grant", "web", func(_ *testing.T, _ *fixture, code string, rec store.AuthCode) url.Values {
			return exchange(code, rec.RedirectURI)
		}, refusal{400, "unauthorized_client", "the client may not use the authorization_code grant"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			code, rec := f.codeFor(t, "app", nil)
			wantRefusal(t, f.post(t, tt.client, tt.prepare(t, f, code, rec)), tt.want)
			wantObserved(t, f.observer, "error token "+tt.want.code)
		})
	}
}

func setDisabled(t *testing.T, f *fixture, name string, disabled bool) {
	t.Helper()
	err := f.store.UpdateUser(context.Background(), name, func(u store.User) (store.User, error) {
		u.Disabled = disabled
		return u, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAuthorizationCodeSecondUse: a code used twice fails the second time
// and revokes every token the first use issued (RFC 6749 §4.1.2), however
// the second use comes.
func TestAuthorizationCodeSecondUse(t *testing.T) {
	f := newFixture(t)
	code, rec := f.codeFor(t, "app", nil)
	first := f.post(t, "app", exchange(code, rec.RedirectURI))
	resp, access := issued(t, first)
	wantObserved(t, f.observer, "issued authorization_code app")

	second := f.post(t, "app", exchange(code, rec.RedirectURI))
	wantRefusal(t, second, refusal{400, "invalid_grant", "the authorization code is invalid, expired or used, or the code_verifier does not match"})
	wantObserved(t, f.observer, "code reuse", "error token invalid_grant")

	fam, err := f.store.GetRefreshFamily(context.Background(), access.SessionID)
	if err != nil {
		t.Fatalf("the grant of the first use: %v", err)
	}
	if !fam.Revoked() {
		t.Fatal("the grant of the first use was not revoked")
	}
	wantRefusal(t, f.post(t, "app", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {resp.RefreshToken}}),
		refusal{400, "invalid_grant", "the refresh token is invalid, expired or revoked"})
}

// TestAuthorizationCodeConcurrentUse: of many exchanges of one code at
// once, exactly one gets tokens.
func TestAuthorizationCodeConcurrentUse(t *testing.T) {
	f := newFixture(t)
	code, rec := f.codeFor(t, "app", nil)
	const n = 8
	answers := make(chan answer, n)
	for range n {
		go func() { answers <- f.post(t, "app", exchange(code, rec.RedirectURI)) }()
	}
	ok := 0
	for range n {
		if a := <-answers; a.status == 200 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("%d exchanges succeeded, want 1", ok)
	}
}

// idTokenClaims decodes the ID token of a success answer, checking its
// type header.
func idTokenClaims(t *testing.T, a answer) (idtoken.Claims, bool) {
	t.Helper()
	var body struct {
		IDToken string `json:"id_token"`
	}
	if err := json.Unmarshal([]byte(a.body), &body); err != nil {
		t.Fatal(err)
	}
	if body.IDToken == "" {
		return idtoken.Claims{}, false
	}
	var c idtoken.Claims
	tok, _, err := jwt.NewParser().ParseUnverified(body.IDToken, &c)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Header["typ"] != "JWT" {
		t.Errorf("ID token typ %v, want JWT", tok.Header["typ"])
	}
	return c, true
}

// TestAuthorizationCodeIssues: what a code yields, for each kind of
// client and scope.
func TestAuthorizationCodeIssues(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()

	// A confidential client that may refresh, with openid: access,
	// refresh and ID tokens, all of one grant.
	code, rec := f.codeFor(t, "app", nil)
	a := f.post(t, "app", exchange(code, rec.RedirectURI))
	resp, access := issued(t, a)
	if resp.RefreshToken == "" || access.SessionID != rec.FamilyID || access.Subject != "kelvin" || access.Scope != "openid profile search" {
		t.Fatalf("response %+v, claims %+v", resp, access)
	}
	id, ok := idTokenClaims(t, a)
	if !ok {
		t.Fatal("no ID token for a code with openid")
	}
	want := idtoken.Claims{
		Issuer: "https://auth.example.com", Subject: "kelvin", Audience: jwt.ClaimStrings{"app"},
		ExpiresAt: jwt.NewNumericDate(now.Add(accessTTL)), IssuedAt: jwt.NewNumericDate(now),
		AuthTime: jwt.NewNumericDate(rec.AuthTime), Nonce: rec.Nonce, AuthorizedParty: "app",
		AccessTokenHash: idtoken.AccessTokenHash("EdDSA", resp.AccessToken), SessionID: rec.SessionID,
		Profile: idtoken.Profile{PreferredUsername: "kelvin"},
	}
	if got, _ := json.Marshal(id); string(got) != string(mustJSON(t, want)) {
		t.Errorf("ID token claims\n got  %s\n want %s", got, mustJSON(t, want))
	}

	// A public client without refresh: no refresh token, but a grant
	// all the same, so that the code's second use can revoke the access
	// token; without openid, no ID token.
	code, rec = f.codeFor(t, "spa", func(c *store.AuthCode) { c.Scopes = []string{"search"} })
	a = f.post(t, "spa", exchange(code, rec.RedirectURI))
	resp, access = issued(t, a)
	if resp.RefreshToken != "" || access.SessionID != rec.FamilyID {
		t.Fatalf("response %+v, claims %+v", resp, access)
	}
	if _, ok := idTokenClaims(t, a); ok {
		t.Error("an ID token without openid")
	}
	if _, err := f.store.GetRefreshFamily(context.Background(), rec.FamilyID); err != nil {
		t.Fatalf("the grant of a code without refresh token: %v", err)
	}
	// A resource narrows the audience.
	code, rec = f.codeFor(t, "app", nil)
	v := exchange(code, rec.RedirectURI)
	v.Set("resource", "other-api")
	if _, access = issued(t, f.post(t, "app", v)); len(access.Audience) != 1 || access.Audience[0] != "other-api" {
		t.Errorf("audience %v, want [other-api]", access.Audience)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIssueCodeRefusesWhatTheEngineChecks: the engine checks the code's
// redirect URI against the client's registered ones, and a code without a
// PKCE challenge is never made.
func TestIssueCodeRefusesWhatTheEngineChecks(t *testing.T) {
	f := newFixture(t)
	c := harnessClient("app")
	now := f.clock.Now()
	base := store.AuthCode{ClientID: "app", Subject: "kelvin", RedirectURI: "https://app.example/cb", CodeChallenge: challenge,
		SessionID: "s", FamilyID: "fam", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
	r := httptest.NewRequest("GET", "/authorize", nil)
	unregistered := base
	unregistered.RedirectURI = "https://app.example.evil/cb"
	if _, err := f.h.IssueCode(context.Background(), r, c, unregistered); err == nil {
		t.Error("a code for an unregistered redirect URI")
	}
	noChallenge := base
	noChallenge.CodeChallenge = ""
	if _, err := f.h.IssueCode(context.Background(), r, c, noChallenge); !errors.Is(err, errDisabledPath) {
		t.Errorf("a code without challenge: %v, want errDisabledPath", err)
	}
	code, err := f.h.IssueCode(context.Background(), r, c, base)
	if err != nil || len(code) != 43 {
		t.Fatalf("IssueCode = %q, %v", code, err)
	}
}
