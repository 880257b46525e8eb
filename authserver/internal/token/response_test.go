package token

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestResponseGolden pins the wire format of a token response with every
// member set.
func TestResponseGolden(t *testing.T) {
	r := response{AccessToken: "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJrZWx2aW4ifQ.c2ln", TokenType: "Bearer", ExpiresIn: 300,
		RefreshToken: "n7Yq0Xo2mVb1u3c4d5e6f7g8h9i0j1k2l3m4n5o6p7q", Scope: "openid search", IDToken: "eyJhbGciOiJFUzI1NiJ9.eyJub25jZSI6Im4ifQ.c2ln",
		IssuedTokenType: TokenTypeAccessToken}
	var w bytes.Buffer
	r.write(&w)
	got := w.Bytes()
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
