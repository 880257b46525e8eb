package username

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" means refused
	}{
		{"ascii", "bob", "bob"},
		{"upper case", "Bob", "bob"},
		{"kelvin sign", "\u212Aelvin", "kelvin"},
		{"kelvin sign and K are one", "KELVIN", "kelvin"},
		{"full width", "ｂｏｂ", "bob"},
		{"full width upper", "ＢＯＢ", "bob"},
		{"decomposed is composed", "zoe\u0308", "zo\u00eb"},
		{"composed stays", "zo\u00eb", "zo\u00eb"},
		{"greek capital sigma", "\u03a3\u03bf\u03c6\u03af\u03b1", "\u03c3\u03bf\u03c6\u03af\u03b1"},
		{"e-mail address", "Bob.Builder@Example.com", "bob.builder@example.com"},
		{"colon and plus", "a:b+c", "a:b+c"},
		{"userparts", "Ada Lovelace", "ada lovelace"},
		{"longest", strings.Repeat("n", MaxLength), strings.Repeat("n", MaxLength)},
		{"full width up to the longest", strings.Repeat("ｎ", MaxLength), strings.Repeat("n", MaxLength)},

		{"empty", "", ""},
		{"too long", strings.Repeat("n", MaxLength+1), ""},
		{"huge", strings.Repeat("n", 1<<20), ""},
		{"NUL", "bob\x00", ""},
		{"NUL inside", "b\x00ob", ""},
		{"tab", "bo\tb", ""},
		{"newline", "bo\nb", ""},
		{"DEL", "bob\x7f", ""},
		{"C1 control", "bob\u0085", ""},
		{"zero-width space", "b\u200bob", ""},
		{"right-to-left override", "\u202ebob", ""},
		{"byte order mark", "\ufeffbob", ""},
		{"invalid UTF-8", "bad\xffutf8", ""},
		{"only spaces", "   ", ""},
		{"leading space", " bob", ""},
		{"trailing space", "bob ", ""},
		{"two spaces", "ada  lovelace", ""},
		{"no-break space", "ada\u00a0lovelace", ""},
		{"ideographic space", "ada\u3000lovelace", ""},
		{"emoji", "bob\U0001F600", ""},
		{"ligature", "\ufb01sh", ""},
		{"title case digraph", "\u01c5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Normalize(%q) = %q, want an error", tt.in, got)
				}
				var e *Error
				if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("error %v is not an *Error matching ErrInvalid", err)
				}
				if tt.in != "" && strings.Contains(err.Error(), tt.in) {
					t.Errorf("error %q repeats the name", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			again, err := Normalize(got)
			if err != nil || again != got {
				t.Errorf("Normalize is not idempotent: Normalize(%q) = %q, %v", got, again, err)
			}
		})
	}
}

// TestNormalizeReasons checks the reasons the command line shows.
func TestNormalizeReasons(t *testing.T) {
	tests := map[string]string{
		"":                               "is empty",
		strings.Repeat("n", MaxLength+1): "is longer than 128 bytes",
		"a\xff":                          "is not valid UTF-8",
		"bo\x07b":                        "contains a control or invisible character",
		"   ":                            "is only white space",
		"bob ":                           "begins or ends with white space",
		"a  b":                           "has two spaces in a row",
		"a\U0001F600":                    "RFC 8265",
	}
	for in, want := range tests {
		_, err := Normalize(in)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Reason, want) {
			t.Errorf("Normalize(%q) = %v, want a reason containing %q", in, err, want)
		}
	}
}

// FuzzNormalize: Normalize never panics, is idempotent, and what it
// accepts is short, valid UTF-8 without controls.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"bob", "\u212Aelvin", "ｂｏｂ", "Ada Lovelace", "a\x00", "zoe\u0308", "\u0130stanbul"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize(in)
		if err != nil {
			return
		}
		if out == "" || len(out) > MaxLength {
			t.Fatalf("Normalize(%q) = %q", in, out)
		}
		again, err := Normalize(out)
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, out, again, err)
		}
	})
}
