package e2e_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// signInPair is an auth server and a resource server with a user who has
// a name and an e-mail address, and two relying parties: rp, confidential,
// and spa, public (PKCE alone).
type signInPair struct {
	auth     *harness.Auth
	rs       *harness.Resource
	rpSecret string
}

const (
	rpRedirect  = "http://127.0.0.1:4180/callback"
	spaRedirect = "http://127.0.0.1/spa"
)

func startSignIn(t *testing.T) *signInPair {
	t.Helper()
	auth := harness.StartAuth(t, harness.AuthOptions{})
	auth.CLI(password+"\n", "users", "add", "alice", "--scopes", "search", "--email", "alice@example.com", "--full-name", "Alice Liddell")
	p := &signInPair{auth: auth}
	p.rpSecret = auth.AddClient("rp", "--grants", "authorization_code,refresh_token", "--scopes", "search",
		"--audience", "search-api", "--redirect-uris", rpRedirect, "--post-logout-redirect-uris", "http://127.0.0.1:4180/bye",
		"--name", "Search demo")
	auth.AddClient("spa", "--public", "--grants", "authorization_code", "--scopes", "search", "--audience", "search-api",
		"--redirect-uris", spaRedirect, "--skip-consent")
	p.rs = harness.StartResource(t, auth, harness.ResourceOptions{})
	return p
}

// TestSignInWithStandardClients: a relying party built on
// golang.org/x/oauth2 (PKCE S256) and coreos/go-oidc (discovery, ID token
// verification, UserInfo) signs a person in through the real pages and
// calls the API with the access token.
func TestSignInWithStandardClients(t *testing.T) {
	p := startSignIn(t)
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, p.auth.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := &oauth2.Config{ClientID: "rp", ClientSecret: p.rpSecret, RedirectURL: rpRedirect,
		Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email", "search"}}
	verifier, state, nonce := oauth2.GenerateVerifier(), rand.Text(), rand.Text()
	b := harness.NewBrowser(t, p.auth.URL)
	back := b.SignIn(conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), "alice", password)
	q := back.Query()
	if back.Scheme+"://"+back.Host+back.Path != rpRedirect || q.Get("state") != state || q.Get("iss") != p.auth.URL {
		t.Fatalf("redirected to %s", back)
	}
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: "rp"}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != nonce || idt.Subject != "alice" {
		t.Errorf("ID token nonce %q, sub %q", idt.Nonce, idt.Subject)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var all map[string]any
	if err := idt.Claims(&all); err != nil {
		t.Fatal(err)
	}
	if all["email"] != "alice@example.com" || all["name"] != "Alice Liddell" || all["preferred_username"] != "alice" ||
		all["sid"] == nil || all["azp"] != "rp" || all["auth_time"] == nil {
		t.Errorf("ID token claims %v", all)
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Subject != "alice" || info.Email != "alice@example.com" {
		t.Errorf("userinfo %+v", info)
	}
	if code, _, body := search(t, p.rs.URL, tok.AccessToken, "apple"); code != http.StatusOK || body["message"] != "found apple in search" {
		t.Fatalf("/search: %d %v", code, body)
	}
	// x/oauth2 refreshes (and rotates) by itself.
	old := *tok
	old.AccessToken, old.Expiry = "", old.Expiry.Add(-24*3600e9)
	fresh, err := conf.TokenSource(ctx, &old).Token()
	if err != nil || fresh.AccessToken == "" || fresh.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %v (%+v)", err, fresh)
	}

	// Single sign-on: a public client signs the same person in with PKCE
	// alone, without a password; its first-party registration skips
	// consent.
	spa := &oauth2.Config{ClientID: "spa", RedirectURL: spaRedirect, Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "search"}}
	spa.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	verifier = oauth2.GenerateVerifier()
	p2 := b.Get(spa.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier)))
	if p2.Kind() != "redirect" || !strings.HasPrefix(p2.Location, spaRedirect) {
		t.Fatalf("single sign-on showed a %s", p2.Kind())
	}
	loc, _ := url.Parse(p2.Location)
	spaTok, err := spa.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("public client exchange: %v", err)
	}
	if spaTok.RefreshToken != "" {
		t.Error("a refresh token for a client without the refresh_token grant")
	}
	if _, err := provider.Verifier(&oidc.Config{ClientID: "spa"}).Verify(ctx, spaTok.Extra("id_token").(string)); err != nil {
		t.Fatalf("public client's ID token: %v", err)
	}

	// RP-initiated logout with the ID token: back to the registered URI,
	// and the next sign-in asks for the password again.
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&meta); err != nil || meta.EndSession == "" {
		t.Fatalf("end_session_endpoint: %v", err)
	}
	out := b.Get(meta.EndSession + "?" + url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {"http://127.0.0.1:4180/bye"}, "state": {"bye"}}.Encode())
	if out.Location != "http://127.0.0.1:4180/bye?state=bye" {
		t.Fatalf("logout: %d %s", out.Status, out.Location)
	}
	if again := b.Get(conf.AuthCodeURL("s3", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))); again.Kind() != "sign-in" {
		t.Fatalf("after logout: %s", again.Kind())
	}

	// Withdrawing consent revokes the client's refresh tokens.
	p.auth.CLI("", "users", "revoke-consent", "alice", "rp")
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token(); err == nil {
		t.Fatal("a refresh token survived the withdrawn consent")
	}
}
