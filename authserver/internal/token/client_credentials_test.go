package token

import (
	"net/url"
	"slices"
	"testing"

	"github.com/go-oauth2/oauth2/v4"
)

// TestClientCredentialsRefusals: every refusal of the client_credentials
// grant, as the client sees it.
func TestClientCredentialsRefusals(t *testing.T) {
	failed := refusal{401, "invalid_client", "client authentication failed"}
	tests := []struct {
		name   string
		client string
		form   url.Values
		want   refusal
	}{
		{"public client", "pub", nil, failed},
		{"wrong secret", "svc:wrong", nil, failed},
		{"client without the grant", "pw", nil,
			refusal{400, "unauthorized_client", "the client may not use the client_credentials grant"}},
		{"scope the client may not have", "svc", url.Values{"scope": {"search admin"}},
			refusal{400, "invalid_scope", "a requested scope is not allowed for this client"}},
		{"scope with a character RFC 6749 forbids", "svc", url.Values{"scope": {`se\arch`}},
			refusal{400, "invalid_scope", "scope contains characters RFC 6749 §3.3 does not allow"}},
		{"resource the client may not have", "svc", url.Values{"resource": {"api", "https://evil.example"}},
			refusal{400, "invalid_target", "a requested resource is not an audience this client may have"}},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := cloneValues(tt.form)
			form.Set("grant_type", "client_credentials")
			wantRefusal(t, f.post(t, tt.client, form), tt.want)
			wantObserved(t, f.observer, "error token "+tt.want.code)
		})
	}
}

// TestClientCredentialsDecides: a token for the client itself, with the
// scope and audience it asks for among its own, and never a refresh
// token, even for a client that may refresh.
func TestClientCredentialsDecides(t *testing.T) {
	f := newFixture(t)
	now := f.clock.Now()
	web := harnessClient("web")
	tests := []struct {
		name     string
		req      clientCredentialsRequest
		scopes   []string
		audience []string
	}{
		{"everything it may have", clientCredentialsRequest{}, []string{"search", "profile"}, []string{"api", "other-api"}},
		{"narrowed", clientCredentialsRequest{scope: "profile", resources: []string{"other-api"}}, []string{"profile"}, []string{"other-api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := decideClientCredentials(web, tt.req, now)
			if err != nil {
				t.Fatal(err)
			}
			if d.grant != oauth2.ClientCredentials || d.client.ID != "web" || d.subject != "web" || !d.now.Equal(now) ||
				!slices.Equal(d.scopes, tt.scopes) || !slices.Equal(d.audience, tt.audience) || d.refresh != nil {
				t.Errorf("decision %+v", d)
			}
		})
	}
	resp, c := issued(t, f.post(t, "web", url.Values{"grant_type": {"client_credentials"}, "resource": {"other-api"}}))
	if resp.RefreshToken != "" || c.Subject != "web" || c.ClientID != "web" || c.SessionID != "" || c.Scope != "search profile" ||
		len(c.Audience) != 1 || c.Audience[0] != "other-api" {
		t.Errorf("answer %+v, claims %+v", resp, c)
	}
	if n := f.store.called("CreateRefreshToken") + f.store.called("RotateRefreshToken"); n != 0 {
		t.Errorf("client_credentials wrote %d refresh tokens", n)
	}
}
