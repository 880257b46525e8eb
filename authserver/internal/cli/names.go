package cli

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameLength is the longest user name or client ID, in bytes.
const maxNameLength = 128

// checkUsername accepts a user name as given, without normalising it: it
// rejects an empty name, one over maxNameLength bytes, one that is not
// UTF-8, and one with control or invisible formatting characters or with
// white space at either end (which would be trimmed nowhere, so that "bob "
// and "bob" would be two users). Any other character, ':' and '@'
// included, is allowed.
func checkUsername(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("the user name is empty")
	case len(name) > maxNameLength:
		return fmt.Errorf("the user name is longer than %d bytes", maxNameLength)
	case !utf8.ValidString(name):
		return fmt.Errorf("the user name %q is not valid UTF-8", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("the user name %q contains a control or invisible character", name)
		}
	}
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("the user name %q is only white space", name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("the user name %q begins or ends with white space", name)
	}
	return nil
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
	grantPassword          = "password"
	grantClientCredentials = "client_credentials"
	grantRefreshToken      = "refresh_token"
)

var grantTypes = []string{grantPassword, grantClientCredentials, grantRefreshToken}

func checkGrant(g string) error {
	if !slices.Contains(grantTypes, g) {
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
