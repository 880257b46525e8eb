package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fastsafe/fastsafe/pkg/claims"
)

// MaxLifetime bounds a token's lifetime, from "iat" to "exp": a token
// claiming to live longer is refused, however far in the future its exp.
// It keeps a far-future or overflowing "exp" from making a token eternal,
// whatever the platform does with a number that does not fit a time.
const MaxLifetime = 24 * time.Hour

// ErrLifetime: the token's "exp" is more than MaxLifetime after its "iat".
var ErrLifetime = errors.New("verify: token lifetime too long")

// headerNames and claimNames are the members Verify reads from the JOSE
// header and from the claims. encoding/json matches member names to
// struct fields case-insensitively (with Unicode simple folding, so
// "\u017fub" would fill "sub"), and keeps the last of repeated members:
// checkMembers refuses both, so that every reader of the token sees the
// same claims (RFC 7519 §4, RFC 8725 §3.7).
var (
	headerNames = []string{"alg", "typ", "kid", "crit", "cty", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "b64", "zip", "enc"}
	claimNames  = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope", "sid", "cnf", "act"}
	// dateNames must be JSON numbers (RFC 7519 §2, NumericDate), not
	// strings holding one.
	dateNames = []string{"exp", "iat", "nbf"}
)

// MaxJSONDepth bounds the nesting of objects and arrays in a token's
// header and claims. Access tokens nest little ("aud" is an array, "cnf"
// or "act" an object); a deeply nested one is refused before it is
// decoded, so that decoding costs little whatever the token holds.
const MaxJSONDepth = 10

// checkMembers checks a decoded header or payload: UTF-8 (RFC 8725 §3.7),
// nesting at most MaxJSONDepth deep, one JSON object, no member twice, no
// member whose name differs from one of known only in case, and the
// members in numeric, if present, numbers (or null). Its errors match
// ErrMalformed and never repeat the token.
//
// It reads the object's top level in one pass, after json.Valid has
// checked the whole text: a member's name is taken as encoding/json takes
// it (escapes decoded), and its value skipped. FuzzCheckMembers holds it
// to the outcome of walking the object with encoding/json's token reader.
func checkMembers(raw []byte, known, numeric []string) error {
	return readMembers(raw, known, numeric, nil)
}

// readMembers is checkMembers, calling each, if not nil, with the name
// (escapes decoded) and the raw JSON value of every member, in order,
// once the member has passed the checks. An error of each ends the
// reading and is returned.
func readMembers(raw []byte, known, numeric []string, each func(name, value []byte) error) error {
	if err := checkText(raw); err != nil {
		return err
	}
	malformed := fmt.Errorf("%w: not a JSON object", ErrMalformed)
	if !json.Valid(raw) {
		return malformed
	}
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return malformed
	}
	// Names seen so far: a short list, as objects of a token have a dozen
	// members; a map beyond, so that a hostile object costs linear time.
	var (
		names [16][]byte
		n     int
		seen  map[string]struct{}
	)
	i = skipSpace(raw, i+1)
	for i < len(raw) && raw[i] == '"' {
		end := skipString(raw, i)
		name := raw[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 {
			var s string
			if err := json.Unmarshal(raw[i:end], &s); err != nil {
				return malformed
			}
			name = []byte(s)
		}
		dup := false
		if n < len(names) {
			for _, m := range names[:n] {
				dup = dup || bytes.Equal(m, name)
			}
			names[n] = name
		} else {
			if seen == nil {
				seen = make(map[string]struct{}, 2*len(names))
				for _, m := range names {
					seen[string(m)] = struct{}{}
				}
			}
			_, dup = seen[string(name)]
			seen[string(name)] = struct{}{}
		}
		n++
		if dup {
			return fmt.Errorf("%w: a member appears twice", ErrMalformed)
		}
		for _, k := range known {
			if len(name) <= 3*len(k) && string(name) != k && bytes.EqualFold(name, []byte(k)) {
				return fmt.Errorf("%w: member %q differs from %q only in case", ErrMalformed, shortName(string(name)), k)
			}
		}
		i = skipSpace(raw, end)
		i = skipSpace(raw, i+1) // the colon
		start := i
		i = skipValue(raw, i)
		if isOneOf(string(name), numeric) && !isNumberOrNull(raw[start:i]) {
			return fmt.Errorf("%w: %q is not a number", ErrMalformed, string(name))
		}
		if each != nil {
			if err := each(name, raw[start:i]); err != nil {
				return err
			}
		}
		i = skipSpace(raw, i)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return nil
}

// checkText checks what checkMembers checks before reading the members:
// UTF-8, and nesting at most MaxJSONDepth deep.
func checkText(raw []byte) error {
	if !utf8.Valid(raw) {
		return fmt.Errorf("%w: not UTF-8", ErrMalformed)
	}
	if depth(raw) > MaxJSONDepth {
		return fmt.Errorf("%w: nested more than %d deep", ErrMalformed, MaxJSONDepth)
	}
	return nil
}

// The skip functions move over a part of a JSON text that json.Valid has
// accepted, and return the index just after it.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString skips the string whose opening quote is at i.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipValue skips the value that starts at i: a string, an object or
// array (to its matching bracket), or a number or literal.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		for d := 0; i < len(b); {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				d++
			case '}', ']':
				d--
				if d == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default:
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
			i++
		}
		return i
	}
}

// depth returns how deeply the objects and arrays of the JSON text b nest,
// not counting brackets inside strings. It does not check the syntax.
func depth(b []byte) int {
	d, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case escaped:
			escaped = false
		case inString:
			if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			d++
			deepest = max(deepest, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return deepest
}

func isOneOf(s string, list []string) bool {
	for _, l := range list {
		if s == l {
			return true
		}
	}
	return false
}

func isNumberOrNull(v []byte) bool {
	return len(v) > 0 && (v[0] == '-' || ('0' <= v[0] && v[0] <= '9') || string(v) == "null")
}

// shortName bounds a member name quoted in an error.
func shortName(s string) string {
	if len(s) > 16 {
		return strings.ToValidUTF8(s[:16], "") + "…"
	}
	return s
}

// checkLifetime refuses a token that claims to live longer than
// MaxLifetime. It runs after the claims are validated, so iat and exp are
// present.
func checkLifetime(c *claims.AccessToken) error {
	if c.ExpiresAt == nil || c.IssuedAt == nil {
		return nil
	}
	if c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxLifetime {
		return ErrLifetime
	}
	return nil
}
