package jwks

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrPrivateKey: a key carries private members (RFC 7517 §9.2, RFC 9449
// §4.2): it must never be accepted as a public key.
var ErrPrivateKey = errors.New("jwks: key carries private key material")

// ParseSet decodes a JSON Web Key Set that must hold only usable public
// signature keys: each with a distinct kid and an alg this package
// supports, fitting its kty and crv, without private members. Unlike a
// Remote, which skips the keys it cannot use, it fails on the first one,
// naming it: a key set registered by hand should be what its author
// thinks it is.
func ParseSet(body []byte) ([]PublicKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("%w: not a JSON Web Key Set: %v", ErrMalformedKey, err)
	}
	if len(set.Keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrMalformedKey)
	}
	out := make([]PublicKey, 0, len(set.Keys))
	seen := map[string]bool{}
	for i, raw := range set.Keys {
		k, err := ParseKey(raw)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("key %d: %w: kid %q appears twice", i, ErrMalformedKey, k.ID)
		}
		seen[k.ID] = true
		out = append(out, k)
	}
	return out, nil
}

// ParseKey decodes one JWK that must be a usable public signature key, as
// ParseSet requires of each.
func ParseKey(raw []byte) (PublicKey, error) {
	var rk rawKey
	if err := json.Unmarshal(raw, &rk); err != nil {
		return PublicKey{}, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	if rk.hasPrivate() {
		return PublicKey{}, ErrPrivateKey
	}
	k, err := usable(rk)
	if err != nil {
		return PublicKey{}, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	return k, nil
}

// ParsePublic decodes one JWK that must be a public key, with or without
// kid and alg, such as the key a DPoP proof carries in its header: its
// private members, if any, are an error, never ignored.
func ParsePublic(raw []byte) (Key, error) {
	var rk rawKey
	if err := json.Unmarshal(raw, &rk); err != nil {
		return Key{}, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	if rk.hasPrivate() {
		return Key{}, ErrPrivateKey
	}
	return rk.Key, nil
}

// DefaultAlgorithm is the JWS algorithm a key of k's type and curve is
// used with when it names none: RS256 for RSA, ES256 and ES384 for P-256
// and P-384, EdDSA for Ed25519; "" for any other.
func DefaultAlgorithm(k Key) string {
	switch {
	case k.Kty == "RSA":
		return "RS256"
	case k.Kty == "EC" && k.Crv == "P-256":
		return "ES256"
	case k.Kty == "EC" && k.Crv == "P-384":
		return "ES384"
	case k.Kty == "OKP" && k.Crv == "Ed25519":
		return "EdDSA"
	}
	return ""
}

// FitsAlgorithm reports whether k's type and curve are those alg needs.
func FitsAlgorithm(k Key, alg string) bool {
	want, ok := algKeys[alg]
	return ok && k.Kty == want.kty && k.Crv == want.crv
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of k, base64url
// without padding: the hash of its required members, in lexicographic
// order, without white space. It is what a DPoP-bound token names in
// cnf.jkt (RFC 9449 §6.1).
func (k Key) Thumbprint() (string, error) {
	var members any
	switch k.Kty {
	case "RSA":
		if k.E == "" || k.N == "" {
			return "", fmt.Errorf("%w: RSA key without n or e", ErrMalformedKey)
		}
		members = struct {
			E   string `json:"e"`
			Kty string `json:"kty"`
			N   string `json:"n"`
		}{k.E, k.Kty, k.N}
	case "EC":
		if k.Crv == "" || k.X == "" || k.Y == "" {
			return "", fmt.Errorf("%w: EC key without crv, x or y", ErrMalformedKey)
		}
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
			Y   string `json:"y"`
		}{k.Crv, k.Kty, k.X, k.Y}
	case "OKP":
		if k.Crv == "" || k.X == "" {
			return "", fmt.Errorf("%w: OKP key without crv or x", ErrMalformedKey)
		}
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
		}{k.Crv, k.Kty, k.X}
	default:
		return "", fmt.Errorf("%w: kty %q", ErrUnsupportedKey, k.Kty)
	}
	b, err := json.Marshal(members)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return b64.EncodeToString(sum[:]), nil
}
