package authorize

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/idtoken"
	"github.com/fastsafe/fastsafe/authserver/internal/session"
)

// signedIn returns a browser signed in as alice through the first-party
// client, and the session's ID.
func signedIn(t *testing.T, f *fixture) (*browser, string) {
	t.Helper()
	b := f.browser(t)
	p := b.get("/authorize", request(func(q url.Values) {
		q.Set("client_id", "first")
		q.Set("redirect_uri", "https://first.example/cb")
	}))
	wantRedirect(t, f, b.signIn(p, "alice", alicePassword), "https://first.example/cb", "af0ifjsldkj", "code")
	return b, f.codes.last(t).SessionID
}

// idToken is an ID token of the harness's keyring for aud, in session sid.
func idToken(t *testing.T, f *fixture, aud, sid string) string {
	t.Helper()
	tok, err := f.keyring.SignIDToken(func(string) jwt.Claims {
		return &idtoken.Claims{Issuer: f.issuer, Subject: "alice", Audience: jwt.ClaimStrings{aud}, SessionID: sid,
			IssuedAt: jwt.NewNumericDate(f.clock.Now()), ExpiresAt: jwt.NewNumericDate(f.clock.Now().Add(time.Minute))}
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func sessionAlive(t *testing.T, f *fixture, id string) bool {
	t.Helper()
	_, err := f.store.GetSession(context.Background(), id)
	return err == nil
}

// wantSignedOut checks that p cleared the session cookie.
func wantSignedOut(t *testing.T, p page) {
	t.Helper()
	for _, line := range p.header.Values("Set-Cookie") {
		if ck, err := http.ParseSetCookie(line); err == nil && ck.Name == "fastsafe_session" && ck.MaxAge < 0 {
			return
		}
	}
	t.Errorf("the session cookie was not cleared: %v", p.header.Values("Set-Cookie"))
}

func TestLogoutConfirmed(t *testing.T) {
	f := newFixture(t)
	b, sid := signedIn(t, f)
	// Without proof that the client holds this session, the person is
	// asked first: another site cannot sign them out.
	p := b.get("/logout", url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"s t"}})
	wantPage(t, p, http.StatusOK)
	if !strings.Contains(p.body, "Sign out?") || !sessionAlive(t, f, sid) {
		t.Fatalf("no confirmation, or signed out already:\n%s", p.body)
	}
	// The confirmation is a form with the CSRF token; posted from
	// elsewhere it does nothing.
	evil := f.browser(t)
	evil.client.Jar = b.client.Jar
	evil.origin = "https://evil.example"
	form := url.Values{session.CSRFFieldName: {p.field(t, session.CSRFFieldName)}, "client_id": {"app"},
		"post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"s t"}}
	wantPage(t, evil.post("/logout", form), http.StatusForbidden)
	if !sessionAlive(t, f, sid) {
		t.Fatal("a cross-site post signed the person out")
	}
	p = b.post("/logout", form)
	u := p.location(t)
	if u.Scheme+"://"+u.Host+u.Path != "https://app.example/bye" || u.Query().Get("state") != "s t" {
		t.Fatalf("sent to %s", u)
	}
	wantSignedOut(t, p)
	if sessionAlive(t, f, sid) {
		t.Fatal("the session outlived the sign-out")
	}
	// Signed out, the next request asks for the password.
	p = b.get("/authorize", request(func(q url.Values) { q.Set("client_id", "first"); q.Set("redirect_uri", "https://first.example/cb") }))
	if !strings.Contains(p.body, `name="password"`) {
		t.Fatal("still signed in")
	}
}

func TestLogoutWithIDTokenHint(t *testing.T) {
	f := newFixture(t)
	b, sid := signedIn(t, f)
	p := b.get("/logout", url.Values{"id_token_hint": {idToken(t, f, "app", sid)}, "post_logout_redirect_uri": {"https://app.example/bye"}})
	if u := p.location(t); u.String() != "https://app.example/bye" {
		t.Fatalf("sent to %s", u)
	}
	wantSignedOut(t, p)
	if sessionAlive(t, f, sid) {
		t.Fatal("the session outlived the sign-out")
	}
	// Without a session there is nothing to confirm.
	wantPage(t, b.get("/logout", nil), http.StatusOK)
}

// TestLogoutRefusals: a sign-out never redirects to a URI the client did
// not register, and never trusts an ID token it did not issue.
func TestLogoutRefusals(t *testing.T) {
	f := newFixture(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	forged := jwt.NewWithClaims(jwt.SigningMethodES256, &idtoken.Claims{Issuer: f.issuer, Subject: "alice", Audience: jwt.ClaimStrings{"app"}})
	forgedToken, err := forged.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		params func(sid string) url.Values
	}{
		{"unregistered URI", func(string) url.Values {
			return url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {"https://evil.example/"}}
		}},
		{"a redirect URI is not a post-logout URI", func(string) url.Values {
			return url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example/cb"}}
		}},
		{"another client's URI", func(string) url.Values {
			return url.Values{"client_id": {"first"}, "post_logout_redirect_uri": {"https://app.example/bye"}}
		}},
		{"URI without a client", func(string) url.Values {
			return url.Values{"post_logout_redirect_uri": {"https://app.example/bye"}}
		}},
		{"unknown client", func(string) url.Values {
			return url.Values{"client_id": {"ghost"}, "post_logout_redirect_uri": {"https://app.example/bye"}}
		}},
		{"ID token this server did not sign", func(string) url.Values {
			return url.Values{"id_token_hint": {forgedToken}, "post_logout_redirect_uri": {"https://app.example/bye"}}
		}},
		{"ID token for another client", func(sid string) url.Values {
			return url.Values{"id_token_hint": {idToken(t, f, "first", sid)}, "client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example/bye"}}
		}},
		{"garbage as ID token", func(string) url.Values { return url.Values{"id_token_hint": {"not.a.token"}} }},
		{"parameter twice", func(string) url.Values {
			return url.Values{"client_id": {"app"}, "post_logout_redirect_uri": {"https://app.example/bye", "https://evil.example/"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, sid := signedIn(t, f)
			p := b.get("/logout", tt.params(sid))
			wantPage(t, p, http.StatusBadRequest)
			if !sessionAlive(t, f, sid) {
				t.Fatal("signed out by a refused request")
			}
		})
	}
}
