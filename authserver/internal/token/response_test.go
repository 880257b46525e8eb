package token

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

// TestResponseJSON holds the hand-written token response to what
// encoding/json writes for it, byte for byte, whatever its strings hold.
func TestResponseJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    response
	}{
		{"client_credentials", response{AccessToken: "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJzdmMifQ.c2ln", TokenType: "Bearer", ExpiresIn: 300, Scope: "search"}},
		{"no scope", response{AccessToken: "a.b.c", TokenType: "Bearer", ExpiresIn: 60}},
		{"every field", response{AccessToken: "a.b.c", TokenType: "DPoP", ExpiresIn: 3600, RefreshToken: "r_-0", Scope: "openid search", IDToken: "i.d.t", IssuedTokenType: TokenTypeAccessToken}},
		{"zero", response{}},
		{"negative expiry", response{AccessToken: "a", TokenType: "Bearer", ExpiresIn: -1}},
		{"quotes and backslashes", response{AccessToken: `a"b\c`, TokenType: "Bearer", Scope: `x"y`}},
		{"HTML characters", response{AccessToken: "<script>&</script>", TokenType: "Bearer", Scope: "a>b"}},
		{"control characters", response{AccessToken: "a\nb\tc\x00\x1f\x7f", TokenType: "Bearer"}},
		{"non-ASCII", response{AccessToken: "é\u2028\u2029", TokenType: "Bearer", RefreshToken: "日本"}},
		{"invalid UTF-8", response{AccessToken: "a\xffb", TokenType: "Bearer", IDToken: "\xc3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			if err := json.NewEncoder(&want).Encode(tc.r); err != nil {
				t.Fatal(err)
			}
			if got := tc.r.appendJSON(nil); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("appendJSON\n%s\nencoding/json\n%s", got, want.Bytes())
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite golden files")

// TestResponseGolden pins the wire format of a token response with every
// field.
func TestResponseGolden(t *testing.T) {
	r := response{AccessToken: "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJrZWx2aW4ifQ.c2ln", TokenType: "Bearer", ExpiresIn: 300,
		RefreshToken: "n7Yq0Xo2mVb1u3c4d5e6f7g8h9i0j1k2l3m4n5o6p7q", Scope: "openid search", IDToken: "eyJhbGciOiJFUzI1NiJ9.eyJub25jZSI6Im4ifQ.c2ln",
		IssuedTokenType: TokenTypeAccessToken}
	got := r.appendJSON(nil)
	const golden = "testdata/response.golden.json"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("response differs from %s:\n%s", golden, got)
	}
}

// TestResponseSize: size leaves room for the whole response when nothing
// needs an escape.
func TestResponseSize(t *testing.T) {
	for _, r := range []response{
		{},
		{AccessToken: "a.b.c", TokenType: "Bearer", ExpiresIn: -9223372036854775808},
		{AccessToken: "a.b.c", TokenType: "DPoP", ExpiresIn: 9223372036854775807, RefreshToken: "r", Scope: "s", IDToken: "i", IssuedTokenType: TokenTypeAccessToken},
	} {
		if got := len(r.appendJSON(nil)); got > r.size() {
			t.Errorf("%+v: %d bytes, size %d", r, got, r.size())
		}
	}
}

// TestResponseWrite: a pooled buffer written from again holds only the new
// response, after a longer one.
func TestResponseWrite(t *testing.T) {
	for _, r := range []response{
		{AccessToken: "a.b.c", TokenType: "DPoP", ExpiresIn: 3600, RefreshToken: "r_-0", Scope: "openid search", IDToken: "i.d.t", IssuedTokenType: TokenTypeAccessToken},
		{AccessToken: "x", TokenType: "Bearer", ExpiresIn: 1},
		{AccessToken: "<escaped>", TokenType: "Bearer"},
		{AccessToken: "y", TokenType: "Bearer", ExpiresIn: 2},
	} {
		var w bytes.Buffer
		r.write(&w)
		if want := r.appendJSON(nil); !bytes.Equal(w.Bytes(), want) {
			t.Errorf("write\n%s\nwant\n%s", w.Bytes(), want)
		}
	}
}
