package e2e_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// authlibPython returns a Python 3 that has authlib and requests (Debian:
// python3-authlib, python3-requests; .ci/run installs them), or skips
// the test, unless FASTSAFE_REQUIRE_AUTHLIB is set: then it fails.
func authlibPython(t *testing.T) string {
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if err := exec.Command(p, "-c", "import authlib, requests").Run(); err == nil {
			return p
		}
	}
	if os.Getenv("FASTSAFE_REQUIRE_AUTHLIB") != "" {
		t.Fatal("no python3 with authlib and requests (apt-get install python3-authlib python3-requests)")
	}
	t.Skip("no python3 with authlib and requests; FASTSAFE_REQUIRE_AUTHLIB makes this a failure")
	return ""
}

// TestAuthlibPrivateKeyJWT: authlib, an independent OAuth client, gets a
// token and introspects it with private_key_jwt client authentication.
func TestAuthlibPrivateKeyJWT(t *testing.T) {
	python := authlibPython(t)
	auth := harness.StartAuth(t, harness.AuthOptions{})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// authlib signs without a kid: the server tries the client's keys of
	// the algorithm.
	auth.AddClient("py-svc", "--grants", "client_credentials", "--scopes", "search", "--audience", "search-api",
		"--jwks", harness.JWKSFile(t, harness.ServiceKey{KID: "py-1", Alg: jose.RS256, Key: key}))
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	root, _ := harness.Root()
	cmd := exec.Command(python, filepath.Join(root, "e2e", "testdata", "authlib_private_key_jwt.py"))
	cmd.Env = append(os.Environ(), "TOKEN_URL="+auth.URL+"/token", "INTROSPECT_URL="+auth.URL+"/introspect",
		"CLIENT_ID=py-svc", "KEY_FILE="+keyFile)
	done := make(chan struct{})
	var out []byte
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("authlib did not finish within a minute")
	}
	if err != nil {
		t.Fatalf("authlib: %v\n%s", err, out)
	}
	var got struct {
		Token struct {
			AccessToken string `json:"access_token"`
			TokenType   string `json:"token_type"`
		}
		Introspection struct {
			Active   bool   `json:"active"`
			ClientID string `json:"client_id"`
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("authlib printed %s: %v", out, err)
	}
	if got.Token.AccessToken == "" || got.Token.TokenType != "Bearer" || !got.Introspection.Active || got.Introspection.ClientID != "py-svc" {
		t.Fatalf("authlib got %+v", got)
	}
}
