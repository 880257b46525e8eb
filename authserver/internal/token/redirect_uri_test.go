package token

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/go-oauth2/oauth2/v4"
	oerrors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
)

func TestValidateRedirectURI(t *testing.T) {
	const app = "https://app.example/cb"
	tests := []struct {
		name       string
		registered string
		requested  string
		ok         bool
	}{
		{"identical", app, app, true},
		{"one of several", "https://other.example/cb " + app, app, true},
		{"none registered", "", app, false},
		{"none requested", app, "", false},
		{"host ending in the registered host", app, "https://evilapp.example/cb", false},
		{"subdomain of the registered host", app, "https://evil.app.example/cb", false},
		{"other path", app, "https://app.example/other", false},
		{"longer path", app, "https://app.example/cb/more", false},
		{"trailing slash", app, "https://app.example/cb/", false},
		{"query added", app, "https://app.example/cb?next=https://evil.example", false},
		{"fragment added", app, "https://app.example/cb#x", false},
		{"http for https", app, "http://app.example/cb", false},
		{"host in capitals", app, "https://APP.example/cb", false},
		{"port added", app, "https://app.example:8443/cb", false},
		{"user information added", app, "https://evil@app.example/cb", false},
		{"percent-encoded path", app, "https://app.example/%63b", false},
		{"loopback, any port", "http://127.0.0.1/cb", "http://127.0.0.1:51004/cb", true},
		{"loopback, another port", "http://127.0.0.1:8080/cb", "http://127.0.0.1:51004/cb", true},
		{"loopback, no port", "http://127.0.0.1:8080/cb", "http://127.0.0.1/cb", true},
		{"IPv6 loopback, any port", "http://[::1]/cb", "http://[::1]:51004/cb", true},
		{"loopback, other path", "http://127.0.0.1/cb", "http://127.0.0.1:51004/other", false},
		{"loopback, query added", "http://127.0.0.1/cb", "http://127.0.0.1:51004/cb?x=1", false},
		{"loopback, other address", "http://127.0.0.1/cb", "http://127.0.0.2:51004/cb", false},
		{"loopback, IPv6 for IPv4", "http://127.0.0.1/cb", "http://[::1]:51004/cb", false},
		{"localhost is not an IP literal", "http://localhost/cb", "http://localhost:51004/cb", false},
		{"loopback over https", "https://127.0.0.1/cb", "https://127.0.0.1:51004/cb", false},
		{"loopback with user information", "http://127.0.0.1/cb", "http://u@127.0.0.1:51004/cb", false},
		{"loopback, scheme in capitals", "http://127.0.0.1/cb", "HTTP://127.0.0.1:51004/cb", false},
		{"loopback fragment", "http://127.0.0.1/cb", "http://127.0.0.1:51004/cb#x", false},
		{"with a fragment, even if registered so", app + "#x", app + "#x", false},
		{"not a URI", app, "https://app.example/cb\x7f%zz", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateRedirectURI(tt.registered, tt.requested)
			if (err == nil) != tt.ok {
				t.Fatalf("validateRedirectURI(%q, %q) = %v, want ok: %v", tt.registered, tt.requested, err, tt.ok)
			}
			if err != nil && !errors.Is(err, oerrors.ErrInvalidRedirectURI) {
				t.Errorf("err = %v, want ErrInvalidRedirectURI", err)
			}
		})
	}
	// What it replaces, go-oauth2's DefaultValidateURI, accepts any host
	// that ends with the registered one, and any path.
	for _, uri := range []string{"https://evilapp.example/cb", "https://evil.app.example/other?x#y"} {
		if manage.DefaultValidateURI(app, uri) != nil {
			t.Errorf("DefaultValidateURI refuses %q", uri)
		}
	}
}

// TestEngineChecksRedirectURIsExactly: the engine's managers use
// validateRedirectURI. No client registers a redirect URI yet, so the
// engine refuses every one, where go-oauth2's default would accept any.
func TestEngineChecksRedirectURIsExactly(t *testing.T) {
	e := newEngine("https://auth.example.com", accessTTL, refreshTTL, newEdSigner(t), nil, refreshRetry{}, func() {})
	d := &decision{grant: oauth2.ClientCredentials, client: harnessClient("svc"), now: refreshNow, subject: "svc"}
	tgr := &oauth2.TokenGenerateRequest{ClientID: "svc", RedirectURI: "https://evil.example/cb", Request: httptest.NewRequest("POST", "/token", nil)}
	if _, err := e.bind(d, "svc").GenerateAccessToken(context.Background(), oauth2.ClientCredentials, tgr); !errors.Is(err, oerrors.ErrInvalidRedirectURI) {
		t.Fatalf("err = %v, want ErrInvalidRedirectURI", err)
	}
	tgr.RedirectURI = ""
	if _, err := e.bind(d, "svc").GenerateAccessToken(context.Background(), oauth2.ClientCredentials, tgr); err != nil {
		t.Fatalf("without a redirect URI: %v", err)
	}
}
