package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// getJSON fetches u and decodes its JSON body into v.
func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// TestMCPClient: an app that knows only the API's URL, as a Model Context
// Protocol client does, finds the authorization server from the API's
// RFC 9728 metadata, registers itself (RFC 7591), signs the person in with
// PKCE for the API's resource (RFC 8707), and calls the API.
func TestMCPClient(t *testing.T) {
	const resource = "https://search-api.example" // the API's identifier, its public URL
	auth := harness.StartAuth(t, harness.AuthOptions{Env: map[string]string{
		"AUTH_REGISTRATION":           "open",
		"AUTH_REGISTRATION_SCOPES":    "search",
		"AUTH_REGISTRATION_AUDIENCES": resource,
	}})
	auth.AddUser("alice", password, "search")
	rs := harness.StartResource(t, auth, harness.ResourceOptions{Env: map[string]string{"RS_PUBLIC_URL": resource}})
	ctx := context.Background()

	// 1. The API refuses, and says where its metadata is.
	resp, err := http.Get(rs.URL + "/search?query=apple")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	m := regexp.MustCompile(`resource_metadata="([^"]+)"`).FindStringSubmatch(resp.Header.Get("WWW-Authenticate"))
	if resp.StatusCode != http.StatusUnauthorized || m == nil {
		t.Fatalf("/search without a token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// The metadata's URL is the public one; this test reaches the API on
	// its loopback address.
	metaURL := strings.Replace(m[1], resource, rs.URL, 1)
	var prm struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
		ScopesSupported      []string `json:"scopes_supported"`
	}
	getJSON(t, metaURL, &prm)
	if prm.Resource != resource || len(prm.AuthorizationServers) != 1 {
		t.Fatalf("protected resource metadata %+v", prm)
	}
	// 2. The authorization server's metadata.
	var asm struct {
		Issuer                string   `json:"issuer"`
		AuthorizationEndpoint string   `json:"authorization_endpoint"`
		TokenEndpoint         string   `json:"token_endpoint"`
		RegistrationEndpoint  string   `json:"registration_endpoint"`
		CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	}
	getJSON(t, prm.AuthorizationServers[0]+"/.well-known/oauth-authorization-server", &asm)
	if asm.RegistrationEndpoint == "" || len(asm.CodeChallengeMethods) != 1 || asm.CodeChallengeMethods[0] != "S256" {
		t.Fatalf("authorization server metadata %+v", asm)
	}
	// 3. It registers, as a public client with a loopback redirect URI.
	body, _ := json.Marshal(map[string]any{
		"client_name":                "Example MCP client",
		"redirect_uris":              []string{"http://127.0.0.1/callback"},
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"scope":                      strings.Join(prm.ScopesSupported, " "),
	})
	resp, err = http.Post(asm.RegistrationEndpoint, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		ClientID string `json:"client_id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&reg)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || reg.ClientID == "" {
		t.Fatalf("registration: %d %v", resp.StatusCode, err)
	}
	// 4. It signs the person in with PKCE, for the API's resource, on a
	// loopback port of its own choosing (RFC 8252 §7.3).
	conf := &oauth2.Config{ClientID: reg.ClientID, RedirectURL: "http://127.0.0.1:33418/callback", Scopes: prm.ScopesSupported,
		Endpoint: oauth2.Endpoint{AuthURL: asm.AuthorizationEndpoint, TokenURL: asm.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	b := harness.NewBrowser(t, auth.URL)
	signIn := b.Get(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("resource", resource)))
	if signIn.Kind() != "sign-in" || !strings.Contains(signIn.Body, "Example MCP client") || !strings.Contains(signIn.Body, "unverified") {
		t.Fatalf("the sign-in page does not mark the self-registered name:\n%s", signIn.Body)
	}
	consent := b.Submit(signIn, url.Values{"username": {"alice"}, "password": {password}})
	if consent.Kind() != "consent" || !strings.Contains(consent.Body, "unverified") {
		t.Fatalf("a self-registered client was not asked consent: %s", consent.Kind())
	}
	back := b.Submit(consent, url.Values{"decision": {"allow"}})
	loc, err := url.Parse(back.Location)
	if err != nil || !strings.HasPrefix(back.Location, "http://127.0.0.1:33418/callback?") {
		t.Fatalf("redirected to %q", back.Location)
	}
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("resource", resource))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	// 5. The API answers.
	if code, _, body := search(t, rs.URL, tok.AccessToken, "apple"); code != http.StatusOK || body["message"] != "found apple in search" {
		t.Fatalf("/search: %d %v", code, body)
	}
}
