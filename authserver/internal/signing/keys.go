package signing

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// Supported signing algorithms (JWA names, RFC 7518 and RFC 8037).
const (
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys
	ES256 = "ES256" // ECDSA with P-256 and SHA-256
	EdDSA = "EdDSA" // Ed25519

	// DefaultAlgorithm is used when no algorithm is configured.
	DefaultAlgorithm = RS256
)

// rsaBits is the size of generated RSA keys and the minimum accepted size.
const rsaBits = 2048

// ErrUnsupportedAlgorithm is returned for an algorithm other than RS256,
// ES256 and EdDSA.
var ErrUnsupportedAlgorithm = errors.New("signing: unsupported algorithm")

// Algorithms returns the supported algorithms.
func Algorithms() []string { return []string{RS256, ES256, EdDSA} }

// GenerateKey returns a new key for alg, created at now and signing from
// activatesAt, which must not be before now (a key cannot have signed in the
// past). Its ID is 16 random bytes, base64url-encoded.
func GenerateKey(alg string, now, activatesAt time.Time) (store.SigningKey, error) {
	if activatesAt.Before(now) {
		return store.SigningKey{}, fmt.Errorf("signing: activation %s is before creation %s", activatesAt, now)
	}
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return store.SigningKey{}, fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, alg)
	}
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("signing: generating %s key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("signing: encoding %s key: %w", alg, err)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return store.SigningKey{}, fmt.Errorf("signing: generating key ID: %w", err)
	}
	return store.SigningKey{
		ID:          base64.RawURLEncoding.EncodeToString(id[:]),
		Algorithm:   alg,
		PrivateKey:  der,
		CreatedAt:   now,
		ActivatesAt: activatesAt,
	}, nil
}

// Rotate generates a key for alg and stores it. The key is published at once
// and signs from now+activateAfter; the current active key retires then.
// activateAfter should exceed the keyrings' reload interval plus the time
// verifiers cache the JWKS, so that every verifier knows the key before the
// first token signed with it. It returns the new key.
func Rotate(ctx context.Context, ks KeyStore, alg string, now time.Time, activateAfter time.Duration) (store.SigningKey, error) {
	if activateAfter < 0 {
		return store.SigningKey{}, fmt.Errorf("signing: negative activation delay %s", activateAfter)
	}
	k, err := GenerateKey(alg, now, now.Add(activateAfter))
	if err != nil {
		return store.SigningKey{}, err
	}
	if err := ks.CreateSigningKey(ctx, k); err != nil {
		return store.SigningKey{}, fmt.Errorf("signing: storing key %s: %w", k.ID, err)
	}
	return k, nil
}

// key is a parsed signing key, ready to sign: nothing is decoded per token.
type key struct {
	id          string
	alg         string
	activatesAt time.Time
	method      jwt.SigningMethod
	private     crypto.Signer
	public      crypto.PublicKey
	jwk         jwks.Key
	header      []byte // base64url of the access tokens' JOSE header, followed by '.'
	idHeader    []byte // the same for ID tokens (typ JWT)
	sigLen      int    // length of a signature in bytes
}

// parseKey decodes a stored key and checks that it fits its algorithm.
func parseKey(sk store.SigningKey) (*key, error) {
	if sk.ID == "" {
		return nil, errors.New("signing: key without ID")
	}
	raw, err := x509.ParsePKCS8PrivateKey(sk.PrivateKey)
	if err != nil {
		// x509 errors describe the structure, never the key material.
		return nil, fmt.Errorf("signing: key %s: parsing PKCS#8: %w", sk.ID, err)
	}
	k := &key{id: sk.ID, alg: sk.Algorithm, activatesAt: sk.ActivatesAt}
	mismatch := fmt.Errorf("signing: key %s: %T is not an %s key", sk.ID, raw, sk.Algorithm)
	switch sk.Algorithm {
	case RS256:
		p, ok := raw.(*rsa.PrivateKey)
		if !ok {
			return nil, mismatch
		}
		if p.N.BitLen() < rsaBits {
			return nil, fmt.Errorf("signing: key %s: %d-bit RSA key, want at least %d", sk.ID, p.N.BitLen(), rsaBits)
		}
		k.method, k.private, k.sigLen = jwt.SigningMethodRS256, p, p.Size()
	case ES256:
		p, ok := raw.(*ecdsa.PrivateKey)
		if !ok || p.Curve != elliptic.P256() {
			return nil, mismatch
		}
		k.method, k.private, k.sigLen = jwt.SigningMethodES256, p, 64
	case EdDSA:
		p, ok := raw.(ed25519.PrivateKey)
		if !ok {
			return nil, mismatch
		}
		k.method, k.private, k.sigLen = jwt.SigningMethodEdDSA, p, ed25519.SignatureSize
	default:
		return nil, fmt.Errorf("%w: key %s: %q", ErrUnsupportedAlgorithm, sk.ID, sk.Algorithm)
	}
	k.public = k.private.Public()
	if k.jwk, err = jwks.FromPublicKey(sk.ID, sk.Algorithm, k.public); err != nil {
		return nil, fmt.Errorf("signing: key %s: %w", sk.ID, err)
	}
	if k.header, err = encodeHeader(sk, claims.TokenType); err != nil {
		return nil, err
	}
	if k.idHeader, err = encodeHeader(sk, "JWT"); err != nil {
		return nil, err
	}
	return k, nil
}

// encodeHeader returns the base64url JOSE header of tokens of type typ
// signed by sk, followed by '.'.
func encodeHeader(sk store.SigningKey, typ string) ([]byte, error) {
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		Kid string `json:"kid"`
	}{sk.Algorithm, typ, sk.ID})
	if err != nil {
		return nil, fmt.Errorf("signing: key %s: encoding header: %w", sk.ID, err)
	}
	return append(b64.AppendEncode(nil, header), '.'), nil
}

var b64 = base64.RawURLEncoding

// activatingAt returns k, or a copy of it that activates at t: the
// revocation of the key it was to succeed moves a key's activation
// earlier.
func (k *key) activatingAt(t time.Time) *key {
	if k.activatesAt.Equal(t) {
		return k
	}
	c := *k
	c.activatesAt = t
	return &c
}
