package claims

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Errorf("%s mismatch\ngot:  %s\nwant: %s", name, got, want)
	}
}

func TestAccessTokenWireFormat(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		claims AccessToken
	}{
		{"password.json", AccessToken{
			Issuer: "http://localhost:9096", Subject: "alice", Audience: jwt.ClaimStrings{"resourceserver"},
			ExpiresAt: jwt.NewNumericDate(at.Add(30 * time.Minute)), IssuedAt: jwt.NewNumericDate(at),
			ID: "jti-1", ClientID: "web", Scope: "search profile", SessionID: "fam-1",
		}},
		{"client_credentials.json", AccessToken{
			Issuer: "http://localhost:9096", Subject: "svc", Audience: jwt.ClaimStrings{"a", "b"},
			ExpiresAt: jwt.NewNumericDate(at.Add(30 * time.Minute)), IssuedAt: jwt.NewNumericDate(at),
			ID: "jti-2", ClientID: "svc",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.MarshalIndent(&tt.claims, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b)
			var back AccessToken
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			again, _ := json.MarshalIndent(&back, "", "  ")
			if !bytes.Equal(b, again) {
				t.Errorf("round trip changed the token:\n%s\n%s", b, again)
			}
		})
	}
}

func TestAudienceAcceptsStringOrArray(t *testing.T) {
	for _, in := range []string{`{"aud":"x"}`, `{"aud":["x"]}`, `{"aud":["y","x"]}`} {
		var c AccessToken
		if err := json.Unmarshal([]byte(in), &c); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if !c.HasAudience("x") {
			t.Errorf("%s: audience x not found in %v", in, c.Audience)
		}
	}
}

func TestScopes(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ", nil},
		{"a", []string{"a"}},
		{"a b  a c", []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ParseScope(tt.in)
			if FormatScope(got) != FormatScope(tt.want) || len(got) != len(tt.want) {
				t.Errorf("ParseScope(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	c := AccessToken{Scope: "search profile"}
	if !c.HasScope("search") || c.HasScope("sear") || c.HasScope("") {
		t.Error("HasScope matched wrongly")
	}
}
