package bench

import (
	"testing"

	"github.com/fastsafe/fastsafe/pkg/tokentest"
)

// TestCacheBytesPerToken: distinct tokens of a real issuer take some heap
// each once cached; tokens the cache cannot all hold as distinct entries,
// or cannot verify, are an error rather than a figure.
func TestCacheBytesPerToken(t *testing.T) {
	iss := tokentest.NewIssuer()
	defer iss.Close()
	tokens := make([]string, 200)
	for i := range tokens {
		tokens[i] = iss.Token("search-api", "search")
	}
	per, err := CacheBytesPerToken(t.Context(), iss.URL, "search-api", tokens)
	if err != nil || per <= 0 {
		t.Fatalf("CacheBytesPerToken = %v, %v", per, err)
	}
	for name, toks := range map[string][]string{
		"repeated":       {tokens[0], tokens[0]},
		"other audience": {iss.Token("other-api", "search")},
		"none":           nil,
	} {
		if _, err := CacheBytesPerToken(t.Context(), iss.URL, "search-api", toks); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
