package username

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// MaxLength is the longest user name, in bytes of its canonical form.
const MaxLength = 128

// maxInputLength bounds what Normalize looks at: the canonical form is
// never more than a few times shorter than its input (full-width forms
// take three bytes for one), so longer input cannot become a valid name.
const maxInputLength = 4 * MaxLength

// Error says why a name was refused. Reason completes the sentence
// "the user name … ", such as "is empty"; it never contains the name.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return "invalid user name: the name " + e.Reason }

// ErrInvalid matches every *Error with errors.Is.
var ErrInvalid = errors.New("invalid user name")

// Is makes errors.Is(err, ErrInvalid) hold for every *Error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

func invalid(reason string) error { return &Error{Reason: reason} }

// Normalize returns the canonical form of name, or an *Error. It is
// idempotent: Normalize of a canonical name returns it unchanged.
func Normalize(name string) (string, error) {
	switch {
	case name == "":
		return "", invalid("is empty")
	case len(name) > maxInputLength:
		return "", invalid("is longer than " + strconv.Itoa(MaxLength) + " bytes")
	case !utf8.ValidString(name):
		return "", invalid("is not valid UTF-8")
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }):
		return "", invalid("contains a control or invisible character")
	case strings.TrimSpace(name) == "":
		return "", invalid("is only white space")
	case strings.TrimSpace(name) != name:
		return "", invalid("begins or ends with white space")
	}
	parts := strings.Split(name, " ")
	for i, p := range parts {
		if p == "" {
			return "", invalid("has two spaces in a row")
		}
		n, err := precis.UsernameCaseMapped.String(p)
		if err != nil || n == "" {
			return "", invalid("contains a character that user names may not contain (RFC 8265): letters, digits and visible ASCII are allowed")
		}
		parts[i] = n
	}
	out := strings.Join(parts, " ")
	if len(out) > MaxLength {
		return "", invalid("is longer than " + strconv.Itoa(MaxLength) + " bytes")
	}
	return out, nil
}
