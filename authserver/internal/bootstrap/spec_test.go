package bootstrap

import (
	"strings"
	"testing"
)

func TestEnabled(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want bool
	}{
		{"nothing", Spec{Audience: []string{"api"}, Scopes: []string{"search"}}, false},
		{"user", Spec{Username: "u"}, true},
		{"confidential client", Spec{ClientID: "c"}, true},
		{"docs client", Spec{DocsClientID: "d"}, true},
		{"relying party", Spec{RPClientID: "rp"}, true},
		{"only redirect URIs", Spec{DocsRedirectURIs: []string{"https://a/cb"}, RPRedirectURIs: []string{"https://b/cb"}}, false},
		{"only a password", Spec{Password: "pw"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.spec.Enabled(); got != tt.want {
				t.Errorf("Enabled() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Spec)
		want   string // "" for valid
	}{
		{"full spec", func(*Spec) {}, ""},
		{"user name with colon and at", func(s *Spec) { s.Username = "bob@example.com:1" }, ""},
		{"user without password", func(s *Spec) { s.Password = "" }, "--bootstrap-password is required"},
		{"password without user", func(s *Spec) { s.Username = "" }, "--bootstrap-password is set without --bootstrap-user"},
		{"password too long", func(s *Spec) { s.Password = strings.Repeat("p", 73) }, "longer than 72 bytes"},
		{"user name with space at the end", func(s *Spec) { s.Username = "demo " }, "begins or ends with white space"},
		{"user name with control character", func(s *Spec) { s.Username = "de\nmo" }, "control or invisible"},
		{"user name too long", func(s *Spec) { s.Username = strings.Repeat("u", 129) }, "longer than 128 bytes"},
		{"client without secret", func(s *Spec) { s.ClientSecret = "" }, "--bootstrap-client-secret is required"},
		{"secret without client", func(s *Spec) { s.ClientID = "" }, "--bootstrap-client-secret is set without --bootstrap-client-id"},
		{"secret too short", func(s *Spec) { s.ClientSecret = strings.Repeat("s", 31) }, "32 to 512 characters"},
		{"secret with a space", func(s *Spec) { s.ClientSecret = strings.Repeat("s", 20) + " " + strings.Repeat("s", 20) }, "visible ASCII"},
		{"client ID with a slash", func(s *Spec) { s.ClientID = "demo/client" }, `--bootstrap-client-id "demo/client" may contain only`},
		{"docs client ID with a space", func(s *Spec) { s.DocsClientID = "my docs" }, `--bootstrap-docs-client-id "my docs" may contain only`},
		{"user named like a client", func(s *Spec) { s.Username = "docs" }, "--bootstrap-user and --bootstrap-docs-client-id are both"},
		{"user named like a client but for case", func(s *Spec) { s.Username = "DOCS" }, "--bootstrap-user and --bootstrap-docs-client-id are both"},
		{"user name with two spaces", func(s *Spec) { s.Username = "de  mo" }, "two spaces in a row"},
		{"two clients with one ID", func(s *Spec) { s.DocsClientID = s.ClientID }, "--bootstrap-client-id and --bootstrap-docs-client-id are both"},
		{"clients without audience", func(s *Spec) { s.Audience = nil }, "--bootstrap-audience is empty"},
		{"user without audience", func(s *Spec) {
			s.ClientID, s.ClientSecret, s.DocsClientID, s.RPClientID, s.RPClientSecret, s.Audience = "", "", "", "", "", nil
		}, ""},
		{"relying party only without audience", func(s *Spec) {
			s.ClientID, s.ClientSecret, s.DocsClientID, s.Audience = "", "", "", nil
		}, "--bootstrap-audience is empty"},
		{"relying party without secret", func(s *Spec) { s.RPClientSecret = "" }, "--bootstrap-rp-client-secret is required with --bootstrap-rp-client-id"},
		{"relying party secret without client", func(s *Spec) { s.RPClientID = "" }, "--bootstrap-rp-client-secret is set without --bootstrap-rp-client-id"},
		{"relying party secret too short", func(s *Spec) { s.RPClientSecret = strings.Repeat("r", 31) }, "--bootstrap-rp-client-secret must be 32 to 512"},
		{"relying party ID with a slash", func(s *Spec) { s.RPClientID = "rp/1" }, `--bootstrap-rp-client-id "rp/1" may contain only`},
		{"relying party without redirect URIs", func(s *Spec) { s.RPRedirectURIs = nil }, "--bootstrap-rp-redirect-uris is required with --bootstrap-rp-client-id"},
		{"relying party redirect URI with a fragment", func(s *Spec) { s.RPRedirectURIs = []string{"https://rp.example/cb#x"} }, "--bootstrap-rp-redirect-uris: redirect URI"},
		{"relying party redirect URI relative", func(s *Spec) { s.RPRedirectURIs = []string{"/oauth2/callback"} }, "is not absolute"},
		{"relying party redirect URIs unused without the client", func(s *Spec) { s.RPClientID, s.RPClientSecret = "", "" }, ""},
		{"relying party name too long", func(s *Spec) { s.RPClientName = strings.Repeat("n", 101) }, "--bootstrap-rp-client-name must be at most 100 bytes"},
		{"relying party name with a newline", func(s *Spec) { s.RPClientName = "Search\ndemo" }, "--bootstrap-rp-client-name must be at most 100 bytes of printable text"},
		{"relying party named like the docs client", func(s *Spec) { s.RPClientID = "docs" }, "--bootstrap-docs-client-id and --bootstrap-rp-client-id are both"},
		{"user named like the relying party", func(s *Spec) { s.Username = "Search-Demo" }, "--bootstrap-user and --bootstrap-rp-client-id are both"},
		{"docs redirect URI over http on another host", func(s *Spec) { s.DocsRedirectURIs = []string{"http://api.example.com/docs/oauth2-redirect.html"} },
			"--bootstrap-docs-redirect-uris: redirect URI \"http://api.example.com/docs/oauth2-redirect.html\" uses http on a host that is not loopback"},
		{"docs redirect URI with a private-use scheme", func(s *Spec) { s.DocsRedirectURIs = []string{"com.example.docs:/cb"} }, "--bootstrap-docs-redirect-uris"},
		{"docs redirect URIs without the docs client", func(s *Spec) { s.DocsClientID = "" }, ""},
		{"audience with a space", func(s *Spec) { s.Audience = []string{"search api"} }, "--bootstrap-audience"},
		{"scope with a quote", func(s *Spec) { s.Scopes = []string{`se"arch`} }, "--bootstrap-scopes"},
		{"no scopes", func(s *Spec) { s.Scopes = nil }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fullSpec()
			tt.change(&s)
			err := s.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
			for _, secretText := range []string{s.Password, s.ClientSecret, s.RPClientSecret} {
				if secretText != "" && strings.Contains(err.Error(), secretText) {
					t.Errorf("error %q contains a password or secret", err)
				}
			}
		})
	}
}

// TestValidateEveryProblem: all problems are reported at once.
func TestValidateEveryProblem(t *testing.T) {
	err := Spec{Username: " x", ClientID: "a b", ClientSecret: "short", DocsClientID: "d"}.Validate()
	if err == nil {
		t.Fatal("Validate() = nil")
	}
	for _, want := range []string{"--bootstrap-user", "--bootstrap-password is required", "--bootstrap-client-id", "32 to 512", "--bootstrap-audience is empty"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}
