package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
func checkMembers(raw []byte, known, numeric []string) error {
	if !utf8.Valid(raw) {
		return fmt.Errorf("%w: not UTF-8", ErrMalformed)
	}
	if depth(raw) > MaxJSONDepth {
		return fmt.Errorf("%w: nested more than %d deep", ErrMalformed, MaxJSONDepth)
	}
	malformed := fmt.Errorf("%w: not a JSON object", ErrMalformed)
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return malformed
	}
	seen := make(map[string]struct{}, 16)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return malformed
		}
		name, ok := t.(string)
		if !ok {
			return malformed
		}
		if _, dup := seen[name]; dup {
			return fmt.Errorf("%w: a member appears twice", ErrMalformed)
		}
		seen[name] = struct{}{}
		for _, k := range known {
			if name != k && len(name) <= 3*len(k) && strings.EqualFold(name, k) {
				return fmt.Errorf("%w: member %q differs from %q only in case", ErrMalformed, shortName(name), k)
			}
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return malformed
		}
		if isOneOf(name, numeric) && !isNumberOrNull(v) {
			return fmt.Errorf("%w: %q is not a number", ErrMalformed, name)
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return malformed
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed
	}
	return nil
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

func isNumberOrNull(v json.RawMessage) bool {
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
