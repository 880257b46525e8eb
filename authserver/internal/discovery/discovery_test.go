package discovery

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestMetadataGolden(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler(New("https://auth.example.com", "RS256")).ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/oauth-authorization-server", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	const golden = "testdata/metadata.golden.json"
	if *update {
		if err := os.WriteFile(golden, rec.Body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rec.Body.Bytes(), want) {
		t.Errorf("metadata differs from %s:\n%s", golden, rec.Body)
	}
}

// TestOpenIDProviderMetadata checks the document against what OpenID
// Connect Discovery 1.0 §3 requires and RFC 8414 §2 adds.
func TestOpenIDProviderMetadata(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler(New("https://auth.example.com", "ES256")).ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/openid-configuration", nil))
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint"} {
		s, _ := doc[key].(string)
		if !strings.HasPrefix(s, "https://auth.example.com") {
			t.Errorf("%s = %v", key, doc[key])
		}
	}
	for key, must := range map[string]string{
		"response_types_supported":              "code",
		"subject_types_supported":               "public",
		"id_token_signing_alg_values_supported": "ES256",
		"code_challenge_methods_supported":      "S256",
		"grant_types_supported":                 "authorization_code",
		"scopes_supported":                      "openid",
		"response_modes_supported":              "query",
	} {
		list, _ := doc[key].([]any)
		found := false
		for _, v := range list {
			found = found || v == must
		}
		if !found {
			t.Errorf("%s = %v, lacks %q", key, doc[key], must)
		}
	}
	if list, _ := doc["code_challenge_methods_supported"].([]any); len(list) != 1 {
		t.Errorf("code_challenge_methods_supported = %v: plain must not be offered", list)
	}
	if doc["authorization_response_iss_parameter_supported"] != true {
		t.Error("RFC 9207 iss parameter not advertised")
	}
}
