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
		{"user without audience", func(s *Spec) { s.ClientID, s.ClientSecret, s.DocsClientID, s.Audience = "", "", "", nil }, ""},
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
			for _, secretText := range []string{s.Password, s.ClientSecret} {
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
