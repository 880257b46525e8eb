package cli

import (
	"strings"
	"testing"
)

func TestCheckUsername(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"bob", true},
		{"Bob.Builder@example.com", true},
		{"with:colon", true},
		{"inner space", true},
		{"zoë", true},
		{strings.Repeat("n", 128), true},
		{"", false},
		{strings.Repeat("n", 129), false},
		{" bob", false},
		{"bob\t", false},
		{"   ", false},
		{"bo\nb", false},
		{"bob\x00", false},
		{"b\u200bob", false}, // zero-width space
		{"\u202ebob", false}, // right-to-left override
		{"bad\xffutf8", false},
		{"\u212Aelvin", true}, // the Kelvin sign is a k
		{"ＢＯＢ", true},
		{"two  spaces", false},
		{"emoji\U0001F600", false},
		{"no\u00a0break", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkUsername(tt.name); (err == nil) != tt.ok {
				t.Errorf("checkUsername(%q) = %v, want ok %v", tt.name, err, tt.ok)
			}
		})
	}
}

func TestCheckClientID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"web", true},
		{"my-app_v2.0~beta", true},
		{strings.Repeat("c", 128), true},
		{"", false},
		{strings.Repeat("c", 129), false},
		{"my app", false},
		{"app:1", false},
		{"app%20", false},
		{"app/1", false},
		{"äpp", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if err := checkClientID(tt.id); (err == nil) != tt.ok {
				t.Errorf("checkClientID(%q) = %v, want ok %v", tt.id, err, tt.ok)
			}
		})
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		value string
		want  string // items joined by "|"; "ERR" for an error
	}{
		{"", ""},
		{"  ", ""},
		{"read", "read"},
		{"read,write", "read|write"},
		{" read , write ", "read|write"},
		{"read,write,read", "read|write"},
		{"read,,write", "ERR"},
		{"read,", "ERR"},
		{"read write", "ERR"},
		{`"read"`, "ERR"},
		{`a\b`, "ERR"},
		{"api:read,https://x/y", "api:read|https://x/y"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := parseList("scopes", tt.value, checkScope)
			if tt.want == "ERR" {
				if err == nil {
					t.Errorf("parseList(%q) = %q, want an error", tt.value, got)
				} else if !strings.Contains(err.Error(), "--scopes") {
					t.Errorf("error %q does not name the flag", err)
				}
				return
			}
			if err != nil || strings.Join(got, "|") != tt.want {
				t.Errorf("parseList(%q) = %q, %v; want %q", tt.value, got, err, tt.want)
			}
		})
	}
}

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		email string
		ok    bool
	}{
		{"", true},
		{"bob@example.com", true},
		{"bob+tag@sub.example.com", true},
		{"bob", false},
		{"Bob <bob@example.com>", false},
		{"bob@example.com\n", false},
		{"<bob@example.com>", false},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			if err := checkEmail(tt.email); (err == nil) != tt.ok {
				t.Errorf("checkEmail(%q) = %v, want ok %v", tt.email, err, tt.ok)
			}
		})
	}
}

func TestReadFirstLine(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        string
	}{
		{"lf", "pw\n", "pw", ""},
		{"crlf", "pw\r\n", "pw", ""},
		{"no ending", "pw", "pw", ""},
		{"only first line", "one\ntwo\n", "one", ""},
		{"inner cr kept", "p\rw\n", "p\rw", ""},
		{"spaces kept", " pw \n", " pw ", ""},
		{"empty line", "\n", "", ""},
		{"empty input", "", "", "standard input is empty"},
		{"1024 bytes", strings.Repeat("x", 1024) + "\r\n", strings.Repeat("x", 1024), ""},
		{"1025 bytes", strings.Repeat("x", 1025) + "\n", "", "longer than 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readFirstLine(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("readFirstLine = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("readFirstLine = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
