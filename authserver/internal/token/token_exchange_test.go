package token

import (
	"net/url"
	"slices"
	"testing"
	"time"
)

// exchangeForm is a token exchange of subject for audience.
func exchangeForm(subject string, extra ...string) url.Values {
	f := url.Values{"grant_type": {GrantTokenExchange}, "subject_token": {subject}, "subject_token_type": {TokenTypeAccessToken}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

// userToken is kelvin's access token through portal, for svc-a, with scope.
func userToken(t *testing.T, f *fixture, scope string) (string, string) {
	t.Helper()
	resp, _ := issued(t, f.post(t, "portal", url.Values{"grant_type": {"password"}, "username": {"kelvin"}, "password": {goodPassword}, "scope": {scope}}))
	return resp.AccessToken, resp.RefreshToken
}

// TestTokenExchangeChain: svc-a exchanges a user's token for svc-b, svc-b
// that one for svc-c; the user stays the subject, the actors nest, the
// grant and the expiry carry over, and scopes narrow.
func TestTokenExchangeChain(t *testing.T) {
	f := newFixture(t)
	user, _ := userToken(t, f, "search profile")
	_, userClaims := issued(t, f.post(t, "portal", url.Values{"grant_type": {"password"}, "username": {"kelvin"}, "password": {goodPassword}}))

	respB, toB := issued(t, f.post(t, "svc-a", exchangeForm(user, "audience", "svc-b", "scope", "search")))
	if respB.IssuedTokenType != TokenTypeAccessToken || respB.TokenType != "Bearer" || respB.RefreshToken != "" {
		t.Fatalf("answer %+v", respB)
	}
	if toB.Subject != "kelvin" || toB.ClientID != "svc-a" || !slices.Equal(toB.Audience, []string{"svc-b"}) || toB.Scope != "search" ||
		toB.Actor == nil || toB.Actor.Subject != "svc-a" || toB.Actor.Actor != nil || toB.SessionID == "" {
		t.Fatalf("token for svc-b: %+v (act %+v)", toB, toB.Actor)
	}
	if userClaims.SessionID == "" {
		t.Fatal("the user token has no grant")
	}

	_, toC := issued(t, f.post(t, "svc-b", exchangeForm(respB.AccessToken, "resource", "svc-c")))
	if toC.Subject != "kelvin" || toC.ClientID != "svc-b" || !slices.Equal(toC.Actor.Chain(), []string{"svc-b", "svc-a"}) ||
		toC.SessionID != toB.SessionID || toC.Scope != "search" {
		t.Fatalf("token for svc-c: %+v, actors %v", toC, toC.Actor.Chain())
	}
	if toC.ExpiresAt.After(toB.ExpiresAt.Time) {
		t.Fatalf("the exchanged token outlives its subject token: %v > %v", toC.ExpiresAt, toB.ExpiresAt)
	}

	// Near the end of the subject token's life, the new one ends with it.
	f.clock.Advance(accessTTL - 20*time.Second)
	resp, late := issued(t, f.post(t, "svc-b", exchangeForm(respB.AccessToken)))
	if !late.ExpiresAt.Equal(toB.ExpiresAt.Time) || resp.ExpiresIn > 20 {
		t.Fatalf("late exchange expires at %v (in %ds), want the subject's %v", late.ExpiresAt, resp.ExpiresIn, toB.ExpiresAt)
	}
}

// TestTokenExchangeRefusals: an exchange never widens what the subject
// token carries, never takes another service's token, and never brings a
// dead token back.
func TestTokenExchangeRefusals(t *testing.T) {
	f := newFixture(t)
	user, refresh := userToken(t, f, "search")
	svcToken, _ := issued(t, f.post(t, "svc", url.Values{"grant_type": {"client_credentials"}}))
	revoked, _ := userToken(t, f, "search")
	invalid := refusal{400, "invalid_grant", "the subject token is invalid, expired or revoked, or not this client's to exchange"}
	tests := []struct {
		name   string
		client string
		form   url.Values
		want   refusal
	}{
		{"scope the subject token lacks", "svc-a", exchangeForm(user, "scope", "profile"),
			refusal{400, "invalid_scope", "a requested scope is not allowed for this client"}},
		{"scope nobody has", "svc-a", exchangeForm(user, "scope", "search admin"),
			refusal{400, "invalid_scope", "a requested scope is not allowed for this client"}},
		{"audience the client may not exchange for", "svc-a", exchangeForm(user, "audience", "api"),
			refusal{400, "invalid_target", "a requested resource is not an audience this client may have"}},
		{"resource the client may not exchange for", "svc-b", exchangeForm(user, "resource", "svc-b"),
			refusal{400, "invalid_target", "a requested resource is not an audience this client may have"}},
		{"another service's token", "svc-b", exchangeForm(user, "audience", "svc-c"), invalid},
		{"a token of another client, not addressed to it", "svc-a", exchangeForm(svcToken.AccessToken), invalid},
		{"not a token", "svc-a", exchangeForm("eyJhbGciOiJub25lIn0.e30."), invalid},
		{"a refresh token", "svc-a", exchangeForm(refresh), invalid},
		{"subject token type of a refresh token", "svc-a", exchangeForm(user, "subject_token_type", "urn:ietf:params:oauth:token-type:refresh_token"),
			refusal{400, "invalid_request", "subject_token_type must be " + TokenTypeAccessToken}},
		{"a refresh token requested", "svc-a", exchangeForm(user, "requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"),
			refusal{400, "invalid_request", "requested_token_type must be " + TokenTypeAccessToken}},
		{"no subject token", "svc-a", url.Values{"grant_type": {GrantTokenExchange}},
			refusal{400, "invalid_request", "subject_token and subject_token_type are required"}},
		{"actor token without its type", "svc-a", exchangeForm(user, "actor_token", svcToken.AccessToken),
			refusal{400, "invalid_request", "actor_token and actor_token_type go together"}},
		{"actor token of another client", "svc-a", exchangeForm(user, "actor_token", svcToken.AccessToken, "actor_token_type", TokenTypeAccessToken),
			refusal{400, "invalid_grant", "the actor token is invalid, expired or revoked, or not this client's to exchange"}},
		{"client without the grant", "svc", exchangeForm(user),
			refusal{400, "unauthorized_client", "the client may not use the " + GrantTokenExchange + " grant"}},
		{"public client", "pub", exchangeForm(user), refusal{401, "invalid_client", "client authentication failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRefusal(t, f.post(t, tt.client, tt.form), tt.want)
		})
	}

	t.Run("revoked subject token", func(t *testing.T) {
		issued(t, f.post(t, "svc-a", exchangeForm(revoked)))
		claimsOf := func(tok string) string {
			ct, ok, err := f.inspector.ActiveAccessToken(t.Context(), tok)
			if err != nil || !ok {
				t.Fatalf("token not active: %v", err)
			}
			return ct.ID
		}
		if err := f.store.RevokeAccessToken(t.Context(), claimsOf(revoked), f.clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		wantRefusal(t, f.post(t, "svc-a", exchangeForm(revoked)), invalid)
	})
	t.Run("revoking the grant kills the exchanged tokens", func(t *testing.T) {
		resp, c := issued(t, f.post(t, "svc-a", exchangeForm(user, "audience", "svc-b")))
		if err := f.store.RevokeRefreshFamily(t.Context(), c.SessionID, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := f.inspector.ActiveAccessToken(t.Context(), resp.AccessToken); ok {
			t.Fatal("a token exchanged from a revoked grant is still active")
		}
		wantRefusal(t, f.post(t, "svc-b", exchangeForm(resp.AccessToken)), invalid)
	})
	t.Run("expired subject token", func(t *testing.T) {
		fresh, _ := userToken(t, f, "search")
		f.clock.Advance(accessTTL)
		wantRefusal(t, f.post(t, "svc-a", exchangeForm(fresh)), invalid)
	})
}

// TestTokenExchangeDepth: a chain of actors ends at MaxActors.
func TestTokenExchangeDepth(t *testing.T) {
	f := newFixture(t)
	user, _ := userToken(t, f, "search")
	tok := user
	for i := range MaxActors + 1 {
		client := []string{"svc-a", "svc-b"}[min(i, 1)]
		form := exchangeForm(tok)
		if i == 0 {
			form.Set("audience", "svc-b")
		}
		a := f.post(t, client, form)
		if i == MaxActors {
			wantRefusal(t, a, refusal{400, "invalid_grant", "the subject token went through too many exchanges"})
			return
		}
		// svc-b may exchange again the tokens it got: they are its own.
		resp, _ := issued(t, a)
		tok = resp.AccessToken
	}
}
