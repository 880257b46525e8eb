package bootstrap

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/redirecturi"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/username"
)

// Spec describes the initial data. Each of its four parts is optional: a
// user (Username and Password), a confidential client (ClientID and
// ClientSecret), a public client for an API documentation page
// (DocsClientID, and DocsRedirectURIs for its sign-in), and a confidential
// client that signs people in (RPClientID, RPClientSecret, RPRedirectURIs
// and RPClientName: a relying party such as a web application). The
// clients get Audience and Scopes; the user may be granted Scopes.
type Spec struct {
	Username string // --bootstrap-user; created in its canonical form (package username)
	Password string // --bootstrap-password

	ClientID     string // --bootstrap-client-id
	ClientSecret string // --bootstrap-client-secret

	DocsClientID string // --bootstrap-docs-client-id
	// DocsRedirectURIs, --bootstrap-docs-redirect-uris, give the docs
	// client the authorization_code grant, sending people back to these
	// URIs without asking for consent (it is first-party). Unused
	// without DocsClientID.
	DocsRedirectURIs []string

	RPClientID     string   // --bootstrap-rp-client-id
	RPClientSecret string   // --bootstrap-rp-client-secret
	RPRedirectURIs []string // --bootstrap-rp-redirect-uris: required with RPClientID, unused without it
	RPClientName   string   // --bootstrap-rp-client-name: shown on the sign-in and consent pages; unused without RPClientID

	Audience []string // --bootstrap-audience
	Scopes   []string // --bootstrap-scopes
}

// Enabled reports whether s asks for anything: a user or a client.
func (s Spec) Enabled() bool {
	return s.Username != "" || s.ClientID != "" || s.DocsClientID != "" || s.RPClientID != ""
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

	confidential := func(idFlag, id, secretFlag, sec string) {
		switch {
		case id != "":
			if msg := clientIDProblem(id); msg != "" {
				bad("%s %q %s", idFlag, id, msg)
			}
			switch err := secret.Validate(sec); {
			case sec == "":
				bad("%s is required with %s", secretFlag, idFlag)
			case errors.Is(err, secret.ErrTooShort), errors.Is(err, secret.ErrTooLong):
				bad("%s must be %d to %d characters long", secretFlag, secret.MinLength, secret.MaxLength)
			case err != nil:
				bad("%s may contain only visible ASCII characters, without spaces", secretFlag)
			}
		case sec != "":
			bad("%s is set without %s", secretFlag, idFlag)
		}
	}
	confidential("--bootstrap-client-id", s.ClientID, "--bootstrap-client-secret", s.ClientSecret)
	confidential("--bootstrap-rp-client-id", s.RPClientID, "--bootstrap-rp-client-secret", s.RPClientSecret)

	if s.DocsClientID != "" {
		if msg := clientIDProblem(s.DocsClientID); msg != "" {
			bad("--bootstrap-docs-client-id %q %s", s.DocsClientID, msg)
		}
	}
	// The redirect URIs are checked even when unused, so that a mistake
	// shows before the client ID is set.
	redirects := func(flag string, uris []string) {
		for _, u := range uris {
			if err := redirecturi.Validate(u, redirecturi.Web); err != nil {
				bad("%s: %v", flag, err)
			}
		}
	}
	redirects("--bootstrap-docs-redirect-uris", s.DocsRedirectURIs)
	redirects("--bootstrap-rp-redirect-uris", s.RPRedirectURIs)
	if s.RPClientID != "" && len(s.RPRedirectURIs) == 0 {
		bad("--bootstrap-rp-redirect-uris is required with --bootstrap-rp-client-id: the exact URIs people are sent back to")
	}
	if !store.ValidClientName(s.RPClientName) {
		bad("--bootstrap-rp-client-name must be at most %d bytes of printable text", store.MaxClientNameLength)
	}

	// Users and clients share one namespace; the user is stored under its
	// canonical name.
	names := []struct{ flag, value string }{
		{"--bootstrap-user", user},
		{"--bootstrap-client-id", s.ClientID},
		{"--bootstrap-docs-client-id", s.DocsClientID},
		{"--bootstrap-rp-client-id", s.RPClientID},
	}
	for i, a := range names {
		for _, b := range names[i+1:] {
			if a.value != "" && a.value == b.value {
				bad("%s and %s are both %q; users and clients share one namespace", a.flag, b.flag, a.value)
			}
		}
	}

	if s.ClientID != "" || s.DocsClientID != "" || s.RPClientID != "" {
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
