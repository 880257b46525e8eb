package harness

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// The client assertions and DPoP proofs of the end-to-end tests are built
// with go-jose, independently of fastsafe's own code.

// ClientAssertionType is the client_assertion_type of RFC 7523 §2.2.
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// ServiceKey is a service's private key and its key ID.
type ServiceKey struct {
	KID string
	Alg jose.SignatureAlgorithm
	Key crypto.Signer
}

// NewServiceKey generates a key for alg: EdDSA, ES256 or RS256.
func NewServiceKey(t testing.TB, kid string, alg jose.SignatureAlgorithm) ServiceKey {
	t.Helper()
	var k crypto.Signer
	var err error
	switch alg {
	case jose.EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case jose.ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS256:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("no key for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ServiceKey{KID: kid, Alg: alg, Key: k}
}

// JWK is the key's public JWK.
func (k ServiceKey) JWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Key.Public(), KeyID: k.KID, Algorithm: string(k.Alg), Use: "sig"}
}

// JWKSFile writes the public keys as a JSON Web Key Set file in a
// temporary directory of t and returns its path.
func JWKSFile(t testing.TB, keys ...ServiceKey) string {
	t.Helper()
	var set jose.JSONWebKeySet
	for _, k := range keys {
		set.Keys = append(set.Keys, k.JWK())
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Sign makes a JWT of claims with the key's kid, and typ if not empty.
func (k ServiceKey) Sign(t testing.TB, claims any, typ string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithHeader("kid", k.KID)
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: k.Key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := josejwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Assertion is a private_key_jwt client assertion of clientID for aud,
// expiring after lifetime.
func (k ServiceKey) Assertion(t testing.TB, clientID, aud string, lifetime time.Duration) string {
	now := time.Now()
	return k.Sign(t, josejwt.Claims{Issuer: clientID, Subject: clientID, Audience: josejwt.Audience{aud},
		Expiry: josejwt.NewNumericDate(now.Add(lifetime)), IssuedAt: josejwt.NewNumericDate(now), ID: rand.Text()}, "")
}

// DPoPKey is a DPoP key of a client (P-256).
type DPoPKey struct {
	Key *ecdsa.PrivateKey
	// JKT is its RFC 7638 thumbprint, as go-jose computes it.
	JKT string
}

// NewDPoPKey generates a DPoP key.
func NewDPoPKey(t testing.TB) DPoPKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: &k.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return DPoPKey{k, base64.RawURLEncoding.EncodeToString(tp)}
}

// Proof is a DPoP proof for method and u, going with token ("" at the
// token endpoint), with nonce if not empty, issued at iat.
func (d DPoPKey) Proof(t testing.TB, method, u, token, nonce string, iat time.Time) string {
	t.Helper()
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: d.Key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	c := map[string]any{"jti": rand.Text(), "htm": method, "htu": u, "iat": iat.Unix()}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		c["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	p, err := josejwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
