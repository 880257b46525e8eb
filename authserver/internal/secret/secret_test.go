package secret_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/secret"
)

func TestGenerate(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		s, err := secret.Generate()
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		if len(s) != 43 {
			t.Fatalf("len(%q) = %d, want 43", s, len(s))
		}
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(raw) != 32 {
			t.Fatalf("%q does not decode to 32 bytes: %d, %v", s, len(raw), err)
		}
		if err := secret.Validate(s); err != nil {
			t.Fatalf("Validate(Generate()) = %v", err)
		}
		if seen[s] {
			t.Fatalf("Generate returned %q twice", s)
		}
		seen[s] = true
	}
}

func TestValidate(t *testing.T) {
	min := strings.Repeat("a", secret.MinLength)
	tests := []struct {
		name string
		s    string
		want error
	}{
		{"minimum length", min, nil},
		{"maximum length", strings.Repeat("Z", secret.MaxLength), nil},
		{"all visible ASCII", visibleASCII(), nil},
		{"basic auth and form specials", min + ":+%&=/?#@!\"'\\~", nil},
		{"empty", "", secret.ErrTooShort},
		{"one short", min[1:], secret.ErrTooShort},
		{"one too long", strings.Repeat("Z", secret.MaxLength+1), secret.ErrTooLong},
		{"space inside", min[:10] + " " + min, secret.ErrInvalidChar},
		{"trailing space", min + " ", secret.ErrInvalidChar},
		{"tab", min + "\t", secret.ErrInvalidChar},
		{"newline", min + "\n", secret.ErrInvalidChar},
		{"NUL", min + "\x00", secret.ErrInvalidChar},
		{"DEL", min + "\x7f", secret.ErrInvalidChar},
		{"non-ASCII", min + "é", secret.ErrInvalidChar},
		{"invalid UTF-8", min + "\xff", secret.ErrInvalidChar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := secret.Validate(tt.s)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), tt.s) && tt.s != "" {
				t.Fatalf("error %q contains the secret", err)
			}
		})
	}
}

// visibleASCII returns every character from '!' to '~' (94 characters).
func visibleASCII() string {
	var b strings.Builder
	for c := byte('!'); c <= '~'; c++ {
		b.WriteByte(c)
	}
	return b.String()
}

func TestHash(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		// FIPS 180-2 test vectors.
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := hex.EncodeToString(secret.Hash(tt.in)); got != tt.want {
				t.Fatalf("Hash(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestEqual(t *testing.T) {
	s, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	hash := secret.Hash(s)
	long := strings.Repeat("x", secret.MaxLength+1)
	last := s[:len(s)-1] + string(s[len(s)-1]^1)

	tests := []struct {
		name      string
		hash      []byte
		presented string
		want      bool
	}{
		{"correct", hash, s, true},
		{"last character differs", hash, last, false},
		{"prefix", hash, s[:len(s)-1], false},
		{"extended", hash, s + "a", false},
		{"other secret", secret.Hash("another secret of sufficient length!!"), s, false},
		{"nil hash", nil, s, false},
		{"empty hash", []byte{}, s, false},
		{"empty hash, empty secret", []byte{}, "", false},
		{"nil hash, empty secret", nil, "", false},
		{"hash of empty secret, empty secret", secret.Hash(""), "", false},
		{"truncated hash", hash[:16], s, false},
		{"secret as its own hash", []byte(s), s, false},
		{"too long", secret.Hash(long), long, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := secret.Equal(tt.hash, tt.presented); got != tt.want {
				t.Fatalf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}

func BenchmarkEqual(b *testing.B) {
	s, err := secret.Generate()
	if err != nil {
		b.Fatal(err)
	}
	hash := secret.Hash(s)
	b.ReportAllocs()
	for b.Loop() {
		if !secret.Equal(hash, s) {
			b.Fatal("Equal = false")
		}
	}
}
