package cli

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// TestSignInClients: clients add registers the exact redirect URIs, name,
// consent and post-logout URIs of a client that signs people in, refuses
// what could not be safe, and clients list shows them.
func TestSignInClients(t *testing.T) {
	h := newHarness(t)
	h.ok("", "clients", "add", "app", "--grants", "authorization_code,refresh_token", "--scopes", "openid,search",
		"--audience", "search-api", "--redirect-uris", "https://app.example/cb, http://127.0.0.1/native",
		"--post-logout-redirect-uris", "https://app.example/bye", "--name", "  Search demo ☃ ", "--skip-consent")
	h.ok("", "clients", "add", "native", "--public", "--grants", "authorization_code", "--audience", "search-api",
		"--redirect-uris", "com.example.app:/oauth2redirect")
	c, err := h.store().GetClient(context.Background(), "app")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.RedirectURIs, []string{"https://app.example/cb", "http://127.0.0.1/native"}) ||
		!slices.Equal(c.PostLogoutRedirectURIs, []string{"https://app.example/bye"}) || c.Name != "Search demo ☃" || !c.SkipConsent {
		t.Fatalf("stored %+v", c)
	}
	out := h.ok("", "clients", "list").stdout
	for _, want := range []string{"Search demo ☃", "skipped", "https://app.example/cb,http://127.0.0.1/native", "https://app.example/bye", "com.example.app:/oauth2redirect", "asked"} {
		if !strings.Contains(out, want) {
			t.Errorf("clients list lacks %q:\n%s", want, out)
		}
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"code grant without redirect URIs", []string{"--grants", "authorization_code"}, "needs --redirect-uris"},
		{"redirect URIs without the code grant", []string{"--grants", "password", "--redirect-uris", "https://x.example/cb"}, "are for clients with the authorization_code grant"},
		{"skip consent without the code grant", []string{"--grants", "password", "--skip-consent"}, "are for clients with the authorization_code grant"},
		{"http on a public host", []string{"--grants", "authorization_code", "--redirect-uris", "http://x.example/cb"}, "not loopback; use https"},
		{"fragment", []string{"--grants", "authorization_code", "--redirect-uris", "https://x.example/cb#f"}, "fragment"},
		{"relative", []string{"--grants", "authorization_code", "--redirect-uris", "/cb"}, "not absolute"},
		{"user information", []string{"--grants", "authorization_code", "--redirect-uris", "https://u:p@x.example/cb"}, "user information"},
		{"private-use scheme for a confidential client", []string{"--grants", "authorization_code", "--redirect-uris", "com.example.app:/cb"}, "private-use scheme"},
		{"javascript", []string{"--grants", "authorization_code", "--redirect-uris", "javascript:alert(1)"}, "not https"},
		{"bad post-logout URI", []string{"--grants", "authorization_code", "--redirect-uris", "https://x.example/cb", "--post-logout-redirect-uris", "http://x.example/bye"}, "--post-logout-redirect-uris"},
		{"name with a control character", []string{"--grants", "authorization_code", "--redirect-uris", "https://x.example/cb", "--name", "a\x1bb"}, "--name"},
		{"name too long", []string{"--grants", "authorization_code", "--redirect-uris", "https://x.example/cb", "--name", strings.Repeat("n", 101)}, "--name"},
		{"refresh without a grant that issues it", []string{"--grants", "refresh_token,client_credentials"}, "refresh_token needs authorization_code or password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"clients", "add", "x", "--audience", "api"}, tt.args...)
			h.in(t).fails(ExitUsage, tt.want, "", args...)
		})
	}
	if _, err := h.store().GetClient(context.Background(), "x"); err == nil {
		t.Fatal("a refused client was added")
	}
}

// TestConsents: users consents lists what a user allowed; revoke-consent
// withdraws it and revokes that client's refresh tokens for that user.
func TestConsents(t *testing.T) {
	h := newHarness(t)
	h.ok("pw-alice-0123456789\n", "users", "add", "alice")
	st := h.store()
	ctx := context.Background()
	for _, c := range []store.Consent{
		{Subject: "alice", ClientID: "app", Scopes: []string{"openid", "search"}},
		{Subject: "alice", ClientID: "other", Scopes: []string{"openid"}},
	} {
		if err := st.SaveConsent(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	addFamily(t, st, "fam-app", "app", "alice")
	addFamily(t, st, "fam-other", "other", "alice")

	out := h.ok("", "users", "consents", "Alice").stdout
	if !strings.Contains(out, "app") || !strings.Contains(out, "openid,search") || !strings.Contains(out, "other") {
		t.Fatalf("users consents:\n%s", out)
	}
	r := h.ok("", "users", "revoke-consent", "alice", "app")
	if !strings.Contains(r.stdout, "withdrawn") || !strings.Contains(r.stderr, "audit=true") {
		t.Fatalf("revoke-consent: %+v", r)
	}
	if !familyRevoked(t, st, "fam-app") || familyRevoked(t, st, "fam-other") {
		t.Fatal("revoke-consent revoked the wrong grants")
	}
	if _, err := st.GetConsent(ctx, "alice", "app"); err == nil {
		t.Fatal("the consent is still there")
	}
	h.fails(ExitFailure, `has not consented to client "app"`, "", "users", "revoke-consent", "alice", "app")
	h.fails(ExitFailure, "does not exist", "", "users", "consents", "nobody")
}
