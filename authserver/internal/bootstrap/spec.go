package bootstrap

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/username"
)

// Spec describes the initial data. Each of its three parts is optional: a
// user (Username and Password), a confidential client (ClientID and
// ClientSecret) and a public client for an API documentation page
// (DocsClientID). The clients get Audience and Scopes; the user may be
// granted Scopes.
type Spec struct {
	Username string // --bootstrap-user; created in its canonical form (package username)
	Password string // --bootstrap-password

	ClientID     string // --bootstrap-client-id
	ClientSecret string // --bootstrap-client-secret

	DocsClientID string // --bootstrap-docs-client-id

	Audience []string // --bootstrap-audience
	Scopes   []string // --bootstrap-scopes
}

// Enabled reports whether s asks for anything: a user, a confidential
// client or a public client.
func (s Spec) Enabled() bool {
	return s.Username != "" || s.ClientID != "" || s.DocsClientID != ""
}

// maxClientIDLength is the longest client ID, in bytes, as 'authserver
// clients add' accepts.
const maxClientIDLength = 128

// Validate reports every problem of s at once, naming the settings. The
// errors never contain the password or the secret.
func (s Spec) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	user := s.Username
	switch {
	case s.Username != "":
		n, err := username.Normalize(s.Username)
		var e *username.Error
		switch {
		case errors.As(err, &e):
			bad("--bootstrap-user %q: the name %s", s.Username, e.Reason)
		case err != nil:
			bad("--bootstrap-user %q: %v", s.Username, err)
		default:
			user = n
		}
		switch {
		case s.Password == "":
			bad("--bootstrap-password is required with --bootstrap-user")
		case len(s.Password) > password.MaxLength:
			bad("--bootstrap-password is longer than %d bytes, the most bcrypt uses", password.MaxLength)
		}
	case s.Password != "":
		bad("--bootstrap-password is set without --bootstrap-user")
	}

	switch {
	case s.ClientID != "":
		if msg := clientIDProblem(s.ClientID); msg != "" {
			bad("--bootstrap-client-id %q %s", s.ClientID, msg)
		}
		switch err := secret.Validate(s.ClientSecret); {
		case s.ClientSecret == "":
			bad("--bootstrap-client-secret is required with --bootstrap-client-id")
		case errors.Is(err, secret.ErrTooShort), errors.Is(err, secret.ErrTooLong):
			bad("--bootstrap-client-secret must be %d to %d characters long", secret.MinLength, secret.MaxLength)
		case err != nil:
			bad("--bootstrap-client-secret may contain only visible ASCII characters, without spaces")
		}
	case s.ClientSecret != "":
		bad("--bootstrap-client-secret is set without --bootstrap-client-id")
	}

	if s.DocsClientID != "" {
		if msg := clientIDProblem(s.DocsClientID); msg != "" {
			bad("--bootstrap-docs-client-id %q %s", s.DocsClientID, msg)
		}
	}

	// Users and clients share one namespace; the user is stored under its
	// canonical name.
	names := []struct{ flag, value string }{
		{"--bootstrap-user", user},
		{"--bootstrap-client-id", s.ClientID},
		{"--bootstrap-docs-client-id", s.DocsClientID},
	}
	for i, a := range names {
		for _, b := range names[i+1:] {
			if a.value != "" && a.value == b.value {
				bad("%s and %s are both %q; users and clients share one namespace", a.flag, b.flag, a.value)
			}
		}
	}

	if s.ClientID != "" || s.DocsClientID != "" {
		if len(s.Audience) == 0 {
			bad("--bootstrap-audience is empty; the initial clients need the audience of their tokens")
		}
	}
	for _, a := range s.Audience {
		if a == "" || strings.ContainsFunc(a, notVisibleASCII) || strings.Contains(a, ",") {
			bad("--bootstrap-audience %q may contain only visible ASCII characters other than ','", a)
		}
	}
	for _, sc := range s.Scopes {
		if sc == "" || strings.ContainsFunc(sc, notVisibleASCII) || strings.ContainsAny(sc, `",\`) {
			bad("--bootstrap-scopes: scope %q may contain only visible ASCII characters other than '\"', '\\' and ','", sc)
		}
	}
	return errors.Join(errs...)
}

func notVisibleASCII(r rune) bool { return r < 0x21 || r > 0x7e }

// clientIDProblem says what is wrong with a client ID, or "" if nothing:
// the rules of 'authserver clients add'.
func clientIDProblem(id string) string {
	if len(id) > maxClientIDLength {
		return fmt.Sprintf("is longer than %d bytes", maxClientIDLength)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return "may contain only ASCII letters, digits, '-', '.', '_' and '~'"
		}
	}
	return ""
}
