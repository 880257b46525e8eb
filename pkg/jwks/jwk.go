package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// Key is one public JSON Web Key.
type Key struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	// RSA (RFC 7518 §6.3.1)
	N string `json:"n,omitempty"`
	E string `json:"e,omitempty"`
	// EC (RFC 7518 §6.2.1) and OKP (RFC 8037)
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// Set is a JSON Web Key Set.
type Set struct {
	Keys []Key `json:"keys"`
}

// Errors returned when a key cannot be encoded or decoded.
var (
	ErrUnsupportedKey = errors.New("jwks: unsupported key type")
	ErrMalformedKey   = errors.New("jwks: malformed key")
)

var b64 = base64.RawURLEncoding

// FromPublicKey encodes pub as a signing JWK with the given key id and
// algorithm. RSA, ECDSA P-256/P-384/P-521 and Ed25519 keys are supported.
func FromPublicKey(kid, alg string, pub crypto.PublicKey) (Key, error) {
	k := Key{Kid: kid, Alg: alg, Use: "sig"}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p == nil || p.N == nil || p.N.Sign() <= 0 || p.E < 3 || p.E%2 == 0 || int64(p.E) > math.MaxInt32 {
			return Key{}, fmt.Errorf("%w: RSA parameters", ErrMalformedKey)
		}
		k.Kty = "RSA"
		k.N = b64.EncodeToString(p.N.Bytes())
		k.E = b64.EncodeToString(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		if p == nil || p.Curve == nil {
			return Key{}, fmt.Errorf("%w: EC parameters", ErrMalformedKey)
		}
		switch p.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return Key{}, fmt.Errorf("%w: curve %s", ErrUnsupportedKey, p.Curve.Params().Name)
		}
		k.Kty = "EC"
		k.Crv = p.Curve.Params().Name
		size := (p.Curve.Params().BitSize + 7) / 8
		x, y, err := ecCoordinates(p, size)
		if err != nil {
			return Key{}, err
		}
		k.X = b64.EncodeToString(x)
		k.Y = b64.EncodeToString(y)
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return Key{}, fmt.Errorf("%w: Ed25519 key length", ErrMalformedKey)
		}
		k.Kty = "OKP"
		k.Crv = "Ed25519"
		k.X = b64.EncodeToString(p)
	default:
		return Key{}, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
	return k, nil
}

func ecCoordinates(p *ecdsa.PublicKey, size int) (x, y []byte, err error) {
	raw, err := p.Bytes() // uncompressed point: 0x04 || X || Y
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	if len(raw) != 1+2*size {
		return nil, nil, ErrMalformedKey
	}
	return raw[1 : 1+size], raw[1+size:], nil
}

// PublicKey decodes k into a crypto public key (*rsa.PublicKey,
// *ecdsa.PublicKey or ed25519.PublicKey). It rejects keys that carry
// inconsistent or out-of-range parameters.
func (k Key) PublicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err := decodeField(k.N)
		if err != nil {
			return nil, err
		}
		e, err := decodeField(k.E)
		if err != nil {
			return nil, err
		}
		if len(e) > 4 || len(n) < 256 || len(n) > 1024 || n[0] == 0 {
			return nil, fmt.Errorf("%w: RSA modulus or exponent out of range", ErrMalformedKey)
		}
		// At most 4 bytes: fits an int64 exactly. crypto/rsa accepts odd
		// exponents from 3 to 2^31-1.
		exp := new(big.Int).SetBytes(e).Int64()
		if exp < 3 || exp%2 == 0 || exp > math.MaxInt32 {
			return nil, fmt.Errorf("%w: RSA exponent", ErrMalformedKey)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}, nil
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("%w: curve %q", ErrUnsupportedKey, k.Crv)
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err := decodeField(k.X)
		if err != nil {
			return nil, err
		}
		y, err := decodeField(k.Y)
		if err != nil {
			return nil, err
		}
		if len(x) != size || len(y) != size {
			return nil, fmt.Errorf("%w: EC coordinate length", ErrMalformedKey)
		}
		raw := make([]byte, 0, 1+2*size)
		raw = append(append(append(raw, 4), x...), y...)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformedKey, err)
		}
		return pub, nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, fmt.Errorf("%w: curve %q", ErrUnsupportedKey, k.Crv)
		}
		x, err := decodeField(k.X)
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 key length", ErrMalformedKey)
		}
		return ed25519.PublicKey(x), nil
	default:
		return nil, fmt.Errorf("%w: kty %q", ErrUnsupportedKey, k.Kty)
	}
}

func decodeField(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: missing parameter", ErrMalformedKey)
	}
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	return b, nil
}
