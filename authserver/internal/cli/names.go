package cli

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fastsafe/fastsafe/authserver/internal/username"
)

// maxNameLength is the longest user name or client ID, in bytes.
const maxNameLength = 128

// normalizeUsername returns the canonical form of a user name given on the
// command line: the one form the store and the token endpoint use (package
// username, RFC 8265), so that "Bob", "ＢＯＢ" and "bob" are one user. The
// error quotes the name as given.
func normalizeUsername(name string) (string, error) {
	n, err := username.Normalize(name)
	var e *username.Error
	switch {
	case err == nil:
		return n, nil
	case !errors.As(err, &e):
		return "", err
	case len(name) > 2*maxNameLength:
		return "", fmt.Errorf("the user name %s", e.Reason)
	}
	return "", fmt.Errorf("the user name %q %s", name, e.Reason)
}

// checkUsername reports whether normalizeUsername accepts name.
func checkUsername(name string) error {
	_, err := normalizeUsername(name)
	return err
}

// checkClientID accepts 1 to maxNameLength of the characters that never
// need escaping in a URL, a form or HTTP Basic credentials: ASCII letters,
// digits, '-', '.', '_' and '~'.
func checkClientID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("the client ID is empty")
	case len(id) > maxNameLength:
		return fmt.Errorf("the client ID is longer than %d bytes", maxNameLength)
	}
	for i := 0; i < len(id); i++ {
		if !isUnreserved(id[i]) {
			return fmt.Errorf("the client ID %q may contain only ASCII letters, digits, '-', '.', '_' and '~'", id)
		}
	}
	return nil
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// checkScope accepts an RFC 6749 scope-token (visible ASCII except '"' and
// '\'), without ',' which separates the list on the command line.
func checkScope(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return fmt.Errorf("scope %q may contain only visible ASCII characters other than '\"', '\\' and ','", s)
		}
	}
	return nil
}

// checkAudience accepts visible ASCII, such as a URL or a name.
func checkAudience(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("audience %q may contain only visible ASCII characters other than ','", s)
		}
	}
	return nil
}

// Grant types a client may be allowed.
const (
	grantAuthorizationCode = "authorization_code"
	grantPassword          = "password"
	grantClientCredentials = "client_credentials"
	grantRefreshToken      = "refresh_token"
)

var grantTypes = []string{grantAuthorizationCode, grantPassword, grantClientCredentials, grantRefreshToken, grantTokenExchangeAlias}

func checkGrant(g string) error {
	if !slices.Contains(grantTypes, g) && g != grantTokenExchange {
		return fmt.Errorf("grant type %q is not one of %s", g, strings.Join(grantTypes, ", "))
	}
	return nil
}

// parseList splits a comma-separated flag value into its items, trimming
// white space around each, dropping repeats, and checking each with check.
// An empty value is an empty list; an empty item ("a,,b") is an error.
func parseList(flagName, value string, check func(string) error) ([]string, error) {
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	var items []string
	for item := range strings.SplitSeq(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("--%s %q has an empty item", flagName, value)
		}
		if err := check(item); err != nil {
			return nil, fmt.Errorf("--%s: %w", flagName, err)
		}
		if !slices.Contains(items, item) {
			items = append(items, item)
		}
	}
	return items, nil
}

// maxTextLength is the longest e-mail address or full name, in bytes.
const maxTextLength = 256

// checkEmail accepts "" or a bare address such as bob@example.com.
func checkEmail(email string) error {
	if email == "" {
		return nil
	}
	if err := checkText("--email", email); err != nil {
		return err
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return fmt.Errorf("--email %q is not an e-mail address such as bob@example.com", email)
	}
	return nil
}

// checkText accepts UTF-8 of at most maxTextLength bytes without control or
// invisible formatting characters.
func checkText(flagName, s string) error {
	switch {
	case len(s) > maxTextLength:
		return fmt.Errorf("%s is longer than %d bytes", flagName, maxTextLength)
	case !utf8.ValidString(s):
		return fmt.Errorf("%s %q is not valid UTF-8", flagName, s)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }):
		return fmt.Errorf("%s %q contains a control or invisible character", flagName, s)
	}
	return nil
}
