package jwks_test

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/pkg/jwks"
)

var b64 = base64.RawURLEncoding

// equaler is implemented by every crypto public key type.
type equaler interface {
	Equal(crypto.PublicKey) bool
}

func TestRoundTrip(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsa3, err := rsa.GenerateKey(rand.Reader, 3072)
	if err != nil {
		t.Fatal(err)
	}
	ecKey := func(c elliptic.Curve) *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		alg     string
		pub     crypto.PublicKey
		wantKty string
		wantCrv string
		wantLen int // decoded length of x and y, or of n
	}{
		{"RSA 2048", "RS256", &rsaKey.PublicKey, "RSA", "", 256},
		{"RSA 3072", "RS384", &rsa3.PublicKey, "RSA", "", 384},
		{"EC P-256", "ES256", &ecKey(elliptic.P256()).PublicKey, "EC", "P-256", 32},
		{"EC P-384", "ES384", &ecKey(elliptic.P384()).PublicKey, "EC", "P-384", 48},
		{"EC P-521", "ES512", &ecKey(elliptic.P521()).PublicKey, "EC", "P-521", 66},
		{"Ed25519", "EdDSA", edPub, "OKP", "Ed25519", 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := jwks.FromPublicKey("kid-1", tt.alg, tt.pub)
			if err != nil {
				t.Fatalf("FromPublicKey: %v", err)
			}
			if k.Kty != tt.wantKty || k.Crv != tt.wantCrv || k.Kid != "kid-1" || k.Alg != tt.alg || k.Use != "sig" {
				t.Fatalf("FromPublicKey = %+v", k)
			}
			// Coordinates are fixed-length (RFC 7518 §6.2.1.2), the modulus
			// has no leading zero.
			field := k.X
			if tt.wantKty == "RSA" {
				field = k.N
				if k.E != "AQAB" {
					t.Errorf("e = %q, want AQAB", k.E)
				}
			}
			if raw, _ := b64.DecodeString(field); len(raw) != tt.wantLen {
				t.Errorf("decoded length = %d, want %d", len(raw), tt.wantLen)
			}
			if tt.wantKty == "EC" {
				if raw, _ := b64.DecodeString(k.Y); len(raw) != tt.wantLen {
					t.Errorf("decoded y length = %d, want %d", len(raw), tt.wantLen)
				}
			}

			data, err := json.Marshal(jwks.Set{Keys: []jwks.Key{k}})
			if err != nil {
				t.Fatal(err)
			}
			var set jwks.Set
			if err := json.Unmarshal(data, &set); err != nil {
				t.Fatal(err)
			}
			if len(set.Keys) != 1 || set.Keys[0] != k {
				t.Fatalf("JSON round trip changed the key: %s", data)
			}
			got, err := set.Keys[0].PublicKey()
			if err != nil {
				t.Fatalf("PublicKey: %v", err)
			}
			if !tt.pub.(equaler).Equal(got) {
				t.Fatalf("PublicKey() = %v, want %v", got, tt.pub)
			}
		})
	}
}

// Public keys from RFC 7517 Appendix A.1 and RFC 8037 Appendix A.2, as
// published by other implementations.
func TestDecodeRFCExamples(t *testing.T) {
	tests := []struct {
		name string
		json string
		want string // type of the decoded key
	}{
		{"RFC 7517 A.1 EC", `{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","use":"enc","kid":"1"}`, "*ecdsa.PublicKey"},
		{"RFC 7517 A.1 RSA", `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`, "*rsa.PublicKey"},
		{"RFC 8037 A.2 Ed25519", `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`, "ed25519.PublicKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k jwks.Key
			if err := json.Unmarshal([]byte(tt.json), &k); err != nil {
				t.Fatal(err)
			}
			pub, err := k.PublicKey()
			if err != nil {
				t.Fatalf("PublicKey: %v", err)
			}
			var got string
			switch pub.(type) {
			case *ecdsa.PublicKey:
				got = "*ecdsa.PublicKey"
			case *rsa.PublicKey:
				got = "*rsa.PublicKey"
			case ed25519.PublicKey:
				got = "ed25519.PublicKey"
			}
			if got != tt.want {
				t.Fatalf("PublicKey() is %T, want %s", pub, tt.want)
			}
			// Encoding the decoded key gives back the published parameters.
			again, err := jwks.FromPublicKey(k.Kid, k.Alg, pub)
			if err != nil {
				t.Fatal(err)
			}
			if again.N != k.N || again.E != k.E || again.X != k.X || again.Y != k.Y || again.Crv != k.Crv || again.Kty != k.Kty {
				t.Fatalf("re-encoded %+v, want %+v", again, k)
			}
		})
	}
}

func TestPublicKeyMalformed(t *testing.T) {
	ecPriv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := jwks.FromPublicKey("ec", "ES256", &ecPriv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := jwks.FromPublicKey("rsa", "RS256", &rsaPriv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := jwks.FromPublicKey("ed", "EdDSA", edPub)
	if err != nil {
		t.Fatal(err)
	}
	// Sanity: the unmodified keys decode.
	for _, k := range []jwks.Key{ec, rsaKey, ed} {
		if _, err := k.PublicKey(); err != nil {
			t.Fatalf("valid %s key: %v", k.Kty, err)
		}
	}

	xRaw, _ := b64.DecodeString(ec.X)
	yRaw, _ := b64.DecodeString(ec.Y)
	yPlus1 := new(big.Int).Add(new(big.Int).SetBytes(yRaw), big.NewInt(1)).FillBytes(make([]byte, 32))
	nRaw, _ := b64.DecodeString(rsaKey.N)

	tiny, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	bigN := make([]byte, 1025)
	bigN[0] = 0xff
	bigN[len(bigN)-1] = 1

	with := func(k jwks.Key, f func(*jwks.Key)) jwks.Key { f(&k); return k }
	enc := b64.EncodeToString
	exp := func(e int64) string { return enc(big.NewInt(e).Bytes()) }

	tests := []struct {
		name string
		key  jwks.Key
		want error
	}{
		{"bad base64 x", with(ec, func(k *jwks.Key) { k.X = "!!!" + k.X[3:] }), jwks.ErrMalformedKey},
		{"padded base64 y", with(ec, func(k *jwks.Key) { k.Y += "=" }), jwks.ErrMalformedKey},
		{"standard base64 n", with(rsaKey, func(k *jwks.Key) { k.N = base64.RawStdEncoding.EncodeToString(nRaw) + "+/" }), jwks.ErrMalformedKey},
		{"bad base64 e", with(rsaKey, func(k *jwks.Key) { k.E = "A Q" }), jwks.ErrMalformedKey},
		{"bad base64 Ed25519", with(ed, func(k *jwks.Key) { k.X = "*" }), jwks.ErrMalformedKey},
		{"missing x", with(ec, func(k *jwks.Key) { k.X = "" }), jwks.ErrMalformedKey},
		{"missing y", with(ec, func(k *jwks.Key) { k.Y = "" }), jwks.ErrMalformedKey},
		{"missing n", with(rsaKey, func(k *jwks.Key) { k.N = "" }), jwks.ErrMalformedKey},
		{"missing e", with(rsaKey, func(k *jwks.Key) { k.E = "" }), jwks.ErrMalformedKey},
		{"short x", with(ec, func(k *jwks.Key) { k.X = enc(xRaw[1:]) }), jwks.ErrMalformedKey},
		{"short y", with(ec, func(k *jwks.Key) { k.Y = enc(yRaw[1:]) }), jwks.ErrMalformedKey},
		{"x with extra leading zero", with(ec, func(k *jwks.Key) { k.X = enc(append([]byte{0}, xRaw...)) }), jwks.ErrMalformedKey},
		{"P-256 coordinates as P-384", with(ec, func(k *jwks.Key) { k.Crv = "P-384" }), jwks.ErrMalformedKey},
		{"point not on curve", with(ec, func(k *jwks.Key) { k.Y = enc(yPlus1) }), jwks.ErrMalformedKey},
		{"coordinates swapped", with(ec, func(k *jwks.Key) { k.X, k.Y = k.Y, k.X }), jwks.ErrMalformedKey},
		{"coordinate beyond field", with(ec, func(k *jwks.Key) { k.X = enc(bytesOf(0xff, 32)) }), jwks.ErrMalformedKey},
		{"zero point", with(ec, func(k *jwks.Key) { k.X, k.Y = enc(make([]byte, 32)), enc(make([]byte, 32)) }), jwks.ErrMalformedKey},
		{"tiny RSA modulus", with(rsaKey, func(k *jwks.Key) { k.N = enc(tiny.N.Bytes()) }), jwks.ErrMalformedKey},
		{"RSA modulus with leading zero", with(rsaKey, func(k *jwks.Key) { k.N = enc(append([]byte{0}, nRaw...)) }), jwks.ErrMalformedKey},
		{"huge RSA modulus", with(rsaKey, func(k *jwks.Key) { k.N = enc(bigN) }), jwks.ErrMalformedKey},
		{"even exponent", with(rsaKey, func(k *jwks.Key) { k.E = exp(65536) }), jwks.ErrMalformedKey},
		{"exponent 1", with(rsaKey, func(k *jwks.Key) { k.E = exp(1) }), jwks.ErrMalformedKey},
		{"exponent 0", with(rsaKey, func(k *jwks.Key) { k.E = enc([]byte{0}) }), jwks.ErrMalformedKey},
		{"exponent above 2^31-1", with(rsaKey, func(k *jwks.Key) { k.E = exp(1<<31 + 1) }), jwks.ErrMalformedKey},
		{"exponent 5 bytes", with(rsaKey, func(k *jwks.Key) { k.E = enc([]byte{1, 0, 0, 0, 1}) }), jwks.ErrMalformedKey},
		{"short Ed25519", with(ed, func(k *jwks.Key) { k.X = k.X[:40] }), jwks.ErrMalformedKey},
		{"long Ed25519", with(ed, func(k *jwks.Key) { k.X = enc(bytesOf(1, 33)) }), jwks.ErrMalformedKey},
		{"unknown kty", with(ec, func(k *jwks.Key) { k.Kty = "oct" }), jwks.ErrUnsupportedKey},
		{"empty kty", with(ec, func(k *jwks.Key) { k.Kty = "" }), jwks.ErrUnsupportedKey},
		{"lower-case kty", with(rsaKey, func(k *jwks.Key) { k.Kty = "rsa" }), jwks.ErrUnsupportedKey},
		{"unknown EC curve", with(ec, func(k *jwks.Key) { k.Crv = "secp256k1" }), jwks.ErrUnsupportedKey},
		{"missing EC curve", with(ec, func(k *jwks.Key) { k.Crv = "" }), jwks.ErrUnsupportedKey},
		{"X25519", with(ed, func(k *jwks.Key) { k.Crv = "X25519" }), jwks.ErrUnsupportedKey},
		{"Ed448", with(ed, func(k *jwks.Key) { k.Crv = "Ed448" }), jwks.ErrUnsupportedKey},
		{"OKP curve on EC", with(ec, func(k *jwks.Key) { k.Crv = "Ed25519" }), jwks.ErrUnsupportedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := tt.key.PublicKey()
			if !errors.Is(err, tt.want) {
				t.Fatalf("PublicKey() = %v, %v; want error %v", pub, err, tt.want)
			}
			if pub != nil {
				t.Fatalf("PublicKey() returned a key with an error: %v", pub)
			}
		})
	}
}

func bytesOf(b byte, n int) []byte {
	return []byte(strings.Repeat(string([]byte{b}), n))
}

func TestFromPublicKeyRejects(t *testing.T) {
	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		pub  crypto.PublicKey
		want error
	}{
		{"nil", nil, jwks.ErrUnsupportedKey},
		{"RSA private key", rsaPriv, jwks.ErrUnsupportedKey},
		{"Ed25519 private key", edPriv, jwks.ErrUnsupportedKey},
		{"RSA value, not pointer", rsaPriv.PublicKey, jwks.ErrUnsupportedKey},
		{"symmetric key", []byte("secret"), jwks.ErrUnsupportedKey},
		{"X25519", x25519.PublicKey(), jwks.ErrUnsupportedKey},
		{"P-224", &p224.PublicKey, jwks.ErrUnsupportedKey},
		{"nil RSA", (*rsa.PublicKey)(nil), jwks.ErrMalformedKey},
		{"RSA without modulus", &rsa.PublicKey{E: 65537}, jwks.ErrMalformedKey},
		{"RSA even exponent", &rsa.PublicKey{N: rsaPriv.N, E: 65536}, jwks.ErrMalformedKey},
		{"nil ECDSA", (*ecdsa.PublicKey)(nil), jwks.ErrMalformedKey},
		{"ECDSA without curve", &ecdsa.PublicKey{}, jwks.ErrMalformedKey},
		{"short Ed25519", ed25519.PublicKey(make([]byte, 31)), jwks.ErrMalformedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := jwks.FromPublicKey("kid", "alg", tt.pub)
			if !errors.Is(err, tt.want) {
				t.Fatalf("FromPublicKey = %+v, %v; want error %v", k, err, tt.want)
			}
		})
	}
}

// Whatever JSON a remote JWKS contains, decoding must not panic, and a key
// that decodes must survive encoding and decoding again unchanged.
func FuzzKeyPublicKey(f *testing.F) {
	f.Add([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	f.Add([]byte(`{"kty":"RSA","n":"AQAB","e":"AQAB"}`))
	f.Add([]byte(`{"kty":"EC","crv":"P-521","x":"","y":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var k jwks.Key
		if err := json.Unmarshal(data, &k); err != nil {
			return
		}
		pub, err := k.PublicKey()
		if err != nil {
			if pub != nil {
				t.Fatalf("PublicKey returned %v with error %v", pub, err)
			}
			if !errors.Is(err, jwks.ErrMalformedKey) && !errors.Is(err, jwks.ErrUnsupportedKey) {
				t.Fatalf("PublicKey error %v is neither ErrMalformedKey nor ErrUnsupportedKey", err)
			}
			return
		}
		again, err := jwks.FromPublicKey(k.Kid, k.Alg, pub)
		if err != nil {
			t.Fatalf("FromPublicKey of a decoded key: %v", err)
		}
		pub2, err := again.PublicKey()
		if err != nil {
			t.Fatalf("PublicKey of a re-encoded key: %v", err)
		}
		if !pub.(equaler).Equal(pub2) {
			t.Fatalf("re-encoding changed the key: %+v -> %+v", k, again)
		}
	})
}
