package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func sampleSignInClient(id string) store.Client {
	c := sampleClient(id)
	c.Grants = []string{"authorization_code", "refresh_token"}
	c.Name = "Shown Name of " + id + " ☃"
	c.RedirectURIs = []string{"https://" + id + ".example.com/callback", "http://127.0.0.1/cb"}
	c.PostLogoutRedirectURIs = []string{"https://" + id + ".example.com/bye"}
	c.SkipConsent = true
	return c
}

func sampleCode(id, client, subject string, created time.Time) store.AuthCode {
	return store.AuthCode{
		ID:            id,
		ClientID:      client,
		Subject:       subject,
		RedirectURI:   "https://" + client + ".example.com/callback",
		Scopes:        []string{"openid", "items:read"},
		Audience:      []string{"https://api.example.com"},
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		Nonce:         "n-0S6_WzA2Mj",
		SessionID:     "session-of-" + subject,
		AuthTime:      created.Add(-time.Minute),
		FamilyID:      "family-of-" + id,
		CreatedAt:     created,
		ExpiresAt:     created.Add(time.Minute),
	}
}

func sampleSession(id, subject string, created time.Time) store.Session {
	return store.Session{
		ID:         id,
		CookieHash: "hash-of-" + id,
		Subject:    subject,
		AuthTime:   created,
		CreatedAt:  created,
		ExpiresAt:  created.Add(12 * time.Hour),
	}
}

func testSignInClient(t *testing.T, s store.Store) {
	want := sampleSignInClient("app")
	must(t, "CreateClient", s.CreateClient(ctx(t), want))
	wantClient(t, s, "GetClient", want)
	// Every field survives an update, and each can be cleared.
	must(t, "UpdateClient", s.UpdateClient(ctx(t), "app", func(c store.Client) (store.Client, error) {
		c.RedirectURIs = []string{"https://app.example.com/other"}
		c.PostLogoutRedirectURIs, c.Name, c.SkipConsent = nil, "", false
		return c, nil
	}))
	want.RedirectURIs = []string{"https://app.example.com/other"}
	want.PostLogoutRedirectURIs, want.Name, want.SkipConsent = nil, "", false
	wantClient(t, s, "after UpdateClient", want)
}

func testRefreshFamilyWithoutToken(t *testing.T, s store.Store) {
	f := sampleFamily("fam", "web", "alice", at(0))
	must(t, "CreateRefreshFamily", s.CreateRefreshFamily(ctx(t), f))
	equal(t, "GetRefreshFamily", getFamily(t, s, "fam"), f, normFamily)
	wantErr(t, "CreateRefreshFamily again", s.CreateRefreshFamily(ctx(t), f), store.ErrAlreadyExists)
	must(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx(t), "fam", at(time.Hour)))
	sameTime(t, "RevokedAt", getFamily(t, s, "fam").RevokedAt, at(time.Hour))
}

func testAuthCodeRoundTrip(t *testing.T, s store.Store) {
	want := sampleCode("code1", "app", "alice", at(0))
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx(t), want))
	wantErr(t, "CreateAuthCode again", s.CreateAuthCode(ctx(t), want), store.ErrAlreadyExists)
	_, err := s.ConsumeAuthCode(ctx(t), "code2", at(time.Second))
	wantErr(t, "ConsumeAuthCode of an unknown code", err, store.ErrNotFound)

	got, err := s.ConsumeAuthCode(ctx(t), "code1", at(time.Second))
	must(t, "ConsumeAuthCode", err)
	want.UsedAt = at(time.Second)
	equal(t, "ConsumeAuthCode", got, want, normCode)
}

func testAuthCodeSecondUse(t *testing.T, s store.Store) {
	c := sampleCode("code1", "app", "alice", at(0))
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx(t), c))
	// A code whose grant has not been created yet can be used twice
	// too: the second use finds no family to revoke, and still fails.
	other := sampleCode("code2", "app", "alice", at(0))
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx(t), other))
	_, err := s.ConsumeAuthCode(ctx(t), "code2", at(time.Second))
	must(t, "ConsumeAuthCode code2", err)
	_, err = s.ConsumeAuthCode(ctx(t), "code2", at(2*time.Second))
	wantErr(t, "second use of code2", err, store.ErrTokenReused)

	_, err = s.ConsumeAuthCode(ctx(t), "code1", at(time.Second))
	must(t, "ConsumeAuthCode", err)
	f := sampleFamily(c.FamilyID, "app", "alice", at(time.Second))
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), f, sampleToken("rt1", f, at(time.Second))))

	got, err := s.ConsumeAuthCode(ctx(t), "code1", at(time.Minute))
	wantErr(t, "second use", err, store.ErrTokenReused)
	if got.FamilyID != c.FamilyID {
		t.Fatalf("second use returned family %q, want %q", got.FamilyID, c.FamilyID)
	}
	sameTime(t, "family revoked at the second use", getFamily(t, s, c.FamilyID).RevokedAt, at(time.Minute))
	// The first use's time is kept.
	_, err = s.ConsumeAuthCode(ctx(t), "code1", at(2*time.Minute))
	wantErr(t, "third use", err, store.ErrTokenReused)
	sameTime(t, "first revocation kept", getFamily(t, s, c.FamilyID).RevokedAt, at(time.Minute))
}

func testAuthCodeConcurrentUse(t *testing.T, s store.Store) {
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx(t), sampleCode("code1", "app", "alice", at(0))))
	const n = 16
	errs := make([]error, n)
	race(n, func(i int) {
		_, errs[i] = s.ConsumeAuthCode(ctx(t), "code1", at(time.Second))
	})
	oneWinner(t, errs)
}

func testSessions(t *testing.T, s store.Store) {
	want := sampleSession("s1", "alice", at(0))
	must(t, "CreateSession", s.CreateSession(ctx(t), want))
	got, err := s.GetSession(ctx(t), "s1")
	must(t, "GetSession", err)
	equal(t, "GetSession", got, want, normSession)
	got, err = s.GetSessionByCookie(ctx(t), want.CookieHash)
	must(t, "GetSessionByCookie", err)
	equal(t, "GetSessionByCookie", got, want, normSession)

	dupID := sampleSession("s1", "bob", at(0))
	dupID.CookieHash = "another"
	wantErr(t, "CreateSession with a taken ID", s.CreateSession(ctx(t), dupID), store.ErrAlreadyExists)
	dupCookie := sampleSession("s2", "bob", at(0))
	dupCookie.CookieHash = want.CookieHash
	wantErr(t, "CreateSession with a taken cookie", s.CreateSession(ctx(t), dupCookie), store.ErrAlreadyExists)

	_, err = s.GetSessionByCookie(ctx(t), "hash-of-nothing")
	wantErr(t, "GetSessionByCookie of an unknown cookie", err, store.ErrNotFound)
	must(t, "DeleteSession", s.DeleteSession(ctx(t), "s1"))
	_, err = s.GetSession(ctx(t), "s1")
	wantErr(t, "GetSession after DeleteSession", err, store.ErrNotFound)
	_, err = s.GetSessionByCookie(ctx(t), want.CookieHash)
	wantErr(t, "GetSessionByCookie after DeleteSession", err, store.ErrNotFound)
	wantErr(t, "DeleteSession again", s.DeleteSession(ctx(t), "s1"), store.ErrNotFound)
}

func testConsents(t *testing.T, s store.Store) {
	_, err := s.GetConsent(ctx(t), "alice", "app")
	wantErr(t, "GetConsent before any", err, store.ErrNotFound)
	first := store.Consent{Subject: "alice", ClientID: "app", Scopes: []string{"openid"}, CreatedAt: at(0), UpdatedAt: at(0)}
	must(t, "SaveConsent", s.SaveConsent(ctx(t), first))
	got, err := s.GetConsent(ctx(t), "alice", "app")
	must(t, "GetConsent", err)
	equal(t, "GetConsent", got, first, normConsent)

	// Saving again replaces the scopes and the update time, and keeps
	// when consent was first given.
	again := store.Consent{Subject: "alice", ClientID: "app", Scopes: []string{"openid", "items:read"}, CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)}
	must(t, "SaveConsent again", s.SaveConsent(ctx(t), again))
	want := again
	want.CreatedAt = at(0)
	got, err = s.GetConsent(ctx(t), "alice", "app")
	must(t, "GetConsent", err)
	equal(t, "GetConsent after saving again", got, want, normConsent)

	must(t, "SaveConsent", s.SaveConsent(ctx(t), store.Consent{Subject: "alice", ClientID: "another", CreatedAt: at(0), UpdatedAt: at(0)}))
	must(t, "SaveConsent", s.SaveConsent(ctx(t), store.Consent{Subject: "bob", ClientID: "app", CreatedAt: at(0), UpdatedAt: at(0)}))
	list, err := s.ListConsents(ctx(t), "alice")
	must(t, "ListConsents", err)
	if len(list) != 2 || list[0].ClientID != "another" || list[1].ClientID != "app" {
		t.Fatalf("ListConsents(alice) = %+v, want another then app", list)
	}
	list, err = s.ListConsents(ctx(t), "carol")
	must(t, "ListConsents", err)
	if len(list) != 0 {
		t.Fatalf("ListConsents(carol) = %+v, want none", list)
	}
}

func testDeleteConsentRevokesFamilies(t *testing.T, s store.Store) {
	must(t, "SaveConsent", s.SaveConsent(ctx(t), store.Consent{Subject: "alice", ClientID: "app", Scopes: []string{"openid"}}))
	mine, _ := newFamily(t, s, "mine", "app", "alice")
	otherClient, _ := newFamily(t, s, "other-client", "web", "alice")
	otherUser, _ := newFamily(t, s, "other-user", "app", "bob")

	must(t, "DeleteConsent", s.DeleteConsent(ctx(t), "alice", "app", at(time.Hour)))
	_, err := s.GetConsent(ctx(t), "alice", "app")
	wantErr(t, "GetConsent after DeleteConsent", err, store.ErrNotFound)
	sameTime(t, "the client's family for the user", getFamily(t, s, mine.ID).RevokedAt, at(time.Hour))
	for _, f := range []store.RefreshFamily{otherClient, otherUser} {
		if getFamily(t, s, f.ID).Revoked() {
			t.Fatalf("family %s was revoked with another consent", f.ID)
		}
	}
	wantErr(t, "DeleteConsent again", s.DeleteConsent(ctx(t), "alice", "app", at(2*time.Hour)), store.ErrNotFound)
}

func testDeleteUserEndsSessionsAndConsents(t *testing.T, s store.Store) {
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("alice")))
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("bob")))
	must(t, "CreateSession", s.CreateSession(ctx(t), sampleSession("sa", "alice", at(0))))
	must(t, "CreateSession", s.CreateSession(ctx(t), sampleSession("sb", "bob", at(0))))
	must(t, "SaveConsent", s.SaveConsent(ctx(t), store.Consent{Subject: "alice", ClientID: "app"}))
	must(t, "SaveConsent", s.SaveConsent(ctx(t), store.Consent{Subject: "bob", ClientID: "app"}))

	must(t, "DeleteUser", s.DeleteUser(ctx(t), "alice"))
	_, err := s.GetSession(ctx(t), "sa")
	wantErr(t, "session of a deleted user", err, store.ErrNotFound)
	_, err = s.GetConsent(ctx(t), "alice", "app")
	wantErr(t, "consent of a deleted user", err, store.ErrNotFound)
	_, err = s.GetSession(ctx(t), "sb")
	must(t, "another user's session", err)
	_, err = s.GetConsent(ctx(t), "bob", "app")
	must(t, "another user's consent", err)
}

func testDeleteClientRemovesCodesAndConsents(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), sampleSignInClient("app")))
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx(t), sampleCode("c-app", "app", "alice", at(0))))
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx(t), sampleCode("c-web", "web", "alice", at(0))))
	must(t, "SaveConsent", s.SaveConsent(ctx(t), store.Consent{Subject: "alice", ClientID: "app"}))
	must(t, "SaveConsent", s.SaveConsent(ctx(t), store.Consent{Subject: "alice", ClientID: "web"}))

	must(t, "DeleteClient", s.DeleteClient(ctx(t), "app"))
	_, err := s.ConsumeAuthCode(ctx(t), "c-app", at(time.Second))
	wantErr(t, "code of a deleted client", err, store.ErrNotFound)
	_, err = s.GetConsent(ctx(t), "alice", "app")
	wantErr(t, "consent to a deleted client", err, store.ErrNotFound)
	_, err = s.ConsumeAuthCode(ctx(t), "c-web", at(time.Second))
	must(t, "another client's code", err)
	_, err = s.GetConsent(ctx(t), "alice", "web")
	must(t, "consent to another client", err)
}

func testDeleteExpiredSignIn(t *testing.T, s store.Store) {
	now := at(100 * 24 * time.Hour)
	// Codes are kept an hour past their expiry, so that a late second
	// use is still recognised.
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx(t), sampleCode("old", "app", "alice", now.Add(-time.Hour-time.Minute-time.Nanosecond))))
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx(t), sampleCode("recent", "app", "alice", now.Add(-2*time.Minute))))
	must(t, "CreateSession", s.CreateSession(ctx(t), sampleSession("ended", "alice", now.Add(-12*time.Hour-time.Nanosecond))))
	must(t, "CreateSession", s.CreateSession(ctx(t), sampleSession("live", "alice", now.Add(-time.Hour))))

	if total := deleteAllExpired(t, s, now); total != 2 {
		t.Fatalf("DeleteExpired removed %d records, want 2 (a code and a session)", total)
	}
	_, err := s.ConsumeAuthCode(ctx(t), "old", now)
	wantErr(t, "code past its retention", err, store.ErrNotFound)
	_, err = s.ConsumeAuthCode(ctx(t), "recent", now)
	must(t, "expired code within its retention", err)
	_, err = s.GetSession(ctx(t), "ended")
	wantErr(t, "ended session", err, store.ErrNotFound)
	_, err = s.GetSession(ctx(t), "live")
	must(t, "live session", err)
}

func testSignInInvalidInput(t *testing.T, s store.Store) {
	noExpiry := sampleCode("c", "app", "alice", at(0))
	noExpiry.ExpiresAt = time.Time{}
	noChallenge := sampleCode("c", "app", "alice", at(0))
	noChallenge.CodeChallenge = ""
	noCookie := sampleSession("s", "alice", at(0))
	noCookie.CookieHash = ""
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"code without expiry", s.CreateAuthCode(ctx(t), noExpiry)},
		{"code without challenge", s.CreateAuthCode(ctx(t), noChallenge)},
		{"session without cookie hash", s.CreateSession(ctx(t), noCookie)},
		{"consent without client", s.SaveConsent(ctx(t), store.Consent{Subject: "alice"})},
		{"family without expiry", s.CreateRefreshFamily(ctx(t), store.RefreshFamily{ID: "f", ClientID: "app", Subject: "alice"})},
	} {
		if tc.err == nil || errors.Is(tc.err, store.ErrNotFound) || errors.Is(tc.err, store.ErrAlreadyExists) {
			t.Errorf("%s: got %v, want an input error", tc.name, tc.err)
		}
	}
}
