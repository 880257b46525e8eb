package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/pkg/jwks"
)

func TestClientsWithAssertions(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	st := h.store()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	k, _ := jwks.FromPublicKey("", "", pub)
	dir := t.TempDir()
	write := func(name string, v any) string {
		b, _ := json.Marshal(v)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("keys.json", jwks.Set{Keys: []jwks.Key{k}})

	r := h.ok("", "clients", "add", "svc-a", "--grants", "client_credentials,token_exchange", "--scopes", "search",
		"--audience", "svc-a", "--jwks", good, "--exchange-audiences", "svc-b,svc-c")
	if !strings.Contains(r.stdout, "signed assertions") {
		t.Fatalf("clients add --jwks printed %q", r.stdout)
	}
	c, err := st.GetClient(ctx, "svc-a")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := jwks.ParseSet([]byte(c.JWKS))
	if err != nil || len(keys) != 1 || keys[0].Algorithm != "EdDSA" || keys[0].ID == "" {
		t.Fatalf("stored key set %q: %v %v", c.JWKS, keys, err)
	}
	if c.Public() || len(c.SecretHash) != 0 || strings.Join(c.ExchangeAudiences, ",") != "svc-b,svc-c" ||
		c.Grants[1] != "urn:ietf:params:oauth:grant-type:token-exchange" {
		t.Fatalf("stored client %+v", c)
	}
	h.fails(ExitFailure, "no secret to rotate", "", "clients", "rotate-secret", "svc-a")

	// Its keys are replaced, not added to.
	pub2, _, _ := ed25519.GenerateKey(rand.Reader)
	k2, _ := jwks.FromPublicKey("k2", "EdDSA", pub2)
	h.ok("", "clients", "rotate-keys", "svc-a", "--jwks", write("keys2.json", jwks.Set{Keys: []jwks.Key{k2}}))
	c, _ = st.GetClient(ctx, "svc-a")
	if keys, err := jwks.ParseSet([]byte(c.JWKS)); err != nil || len(keys) != 1 || keys[0].ID != "k2" {
		t.Fatalf("rotated key set %q: %v", c.JWKS, err)
	}
	h.fails(ExitUsage, "give one of", "", "clients", "rotate-keys", "svc-a")
	h.fails(ExitFailure, "does not exist", "", "clients", "rotate-keys", "nobody", "--jwks-uri", "https://keys.example/jwks")
	h.ok("", "clients", "add", "with-secret", "--grants", "client_credentials", "--audience", "x")
	h.fails(ExitFailure, "does not authenticate with keys", "", "clients", "rotate-keys", "with-secret", "--jwks-uri", "https://keys.example/jwks")

	withPrivate := write("private.json", map[string]any{"keys": []any{map[string]any{"kty": "OKP", "crv": "Ed25519", "x": k.X,
		"d": jwksPrivate(priv)}}})
	r = h.fails(ExitUsage, "private key material", "", "clients", "add", "bad", "--grants", "client_credentials", "--audience", "x", "--jwks", withPrivate)
	if strings.Contains(r.stderr, jwksPrivate(priv)) {
		t.Fatal("the private key was echoed")
	}
	h.fails(ExitUsage, "exclude each other", "", "clients", "add", "bad", "--grants", "client_credentials", "--audience", "x", "--jwks", good, "--jwks-uri", "https://keys.example/jwks")
	h.fails(ExitUsage, "no secret", "", "clients", "add", "bad", "--grants", "password", "--audience", "x", "--jwks", good, "--public")
	h.fails(ExitUsage, "needs --exchange-audiences", "", "clients", "add", "bad", "--grants", "client_credentials,token_exchange", "--audience", "x", "--jwks", good)
	h.fails(ExitUsage, "token_exchange grant", "", "clients", "add", "bad", "--grants", "client_credentials", "--audience", "x", "--jwks", good, "--exchange-audiences", "y")
	h.fails(ExitUsage, "must be https", "", "clients", "add", "bad", "--grants", "client_credentials", "--audience", "x", "--jwks-uri", "http://keys.example/jwks")
	h.fails(ExitUsage, "go together", "", "clients", "add", "bad", "--grants", "client_credentials", "--audience", "x", "--assertion-issuer", "https://k8s.example")

	// Workload identity: the issuer must be trusted first.
	h.fails(ExitFailure, "is not trusted", "", "clients", "add", "checkout", "--grants", "client_credentials", "--audience", "x",
		"--assertion-issuer", "https://k8s.example", "--assertion-subject", "system:serviceaccount:shop:checkout")
	h.ok("", "issuers", "add", "https://k8s.example", "--audience", "https://auth.example")
	h.fails(ExitFailure, "trusted already", "", "issuers", "add", "https://k8s.example")
	h.fails(ExitUsage, "must be https", "", "issuers", "add", "http://ci.example")
	h.ok("", "clients", "add", "checkout", "--grants", "client_credentials", "--audience", "x",
		"--assertion-issuer", "https://k8s.example", "--assertion-subject", "system:serviceaccount:shop:checkout")
	r = h.ok("", "issuers", "list")
	if !strings.Contains(r.stdout, "https://k8s.example") || !strings.Contains(r.stdout, "(discovered)") {
		t.Fatalf("issuers list printed %q", r.stdout)
	}
	r = h.ok("", "clients", "list")
	if !strings.Contains(r.stdout, "private_key_jwt") || !strings.Contains(r.stdout, "workload https://k8s.example") {
		t.Fatalf("clients list printed %q", r.stdout)
	}
	h.ok("", "issuers", "delete", "https://k8s.example")
	h.fails(ExitFailure, "not trusted", "", "issuers", "delete", "https://k8s.example")
}

func jwksPrivate(priv ed25519.PrivateKey) string {
	k, _ := jwks.FromPublicKey("", "", priv.Public())
	return k.X + "PRIVATE" // a recognisable stand-in for d: only its presence matters
}
