package jwks

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestThumbprintRFC7638 checks the example of RFC 7638 §3.1.
func TestThumbprintRFC7638(t *testing.T) {
	k := Key{Kty: "RSA", E: "AQAB", Kid: "2011-04-29", Alg: "RS256",
		N: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
	got, err := k.Thumbprint()
	if err != nil || got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Fatalf("Thumbprint = %q, %v", got, err)
	}
	// Members other than the required ones do not change it.
	k.Use = "sig"
	if again, _ := k.Thumbprint(); again != got {
		t.Fatal("optional members changed the thumbprint")
	}
	if _, err := (Key{Kty: "oct"}).Thumbprint(); err == nil {
		t.Fatal("thumbprint of a symmetric key")
	}
}

func TestParseSet(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	ok, _ := FromPublicKey("k1", "EdDSA", pub)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	eck, _ := FromPublicKey("k2", "ES256", &ec.PublicKey)
	set := func(keys ...any) []byte {
		b, _ := json.Marshal(map[string]any{"keys": keys})
		return b
	}
	withPrivate := map[string]any{"kty": "OKP", "crv": "Ed25519", "x": ok.X, "d": "secret", "kid": "p", "alg": "EdDSA"}
	noAlg := ok
	noAlg.Alg = ""
	wrongAlg := eck
	wrongAlg.Alg = "EdDSA"
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"good", set(ok, eck), nil},
		{"private part", set(ok, withPrivate), ErrPrivateKey},
		{"no alg", set(noAlg), ErrMalformedKey},
		{"alg of another key type", set(wrongAlg), ErrMalformedKey},
		{"duplicate kid", set(ok, ok), ErrMalformedKey},
		{"empty", set(), ErrMalformedKey},
		{"not JSON", []byte("{"), ErrMalformedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := ParseSet(tt.body)
			if tt.want == nil {
				if err != nil || len(keys) != 2 {
					t.Fatalf("ParseSet = %v, %v", keys, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error repeats a private member: %v", err)
			}
		})
	}
	if _, err := ParsePublic([]byte(`{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}`)); !errors.Is(err, ErrPrivateKey) {
		t.Fatalf("ParsePublic of a private key: %v", err)
	}
	if DefaultAlgorithm(eck) != "ES256" || !FitsAlgorithm(eck, "ES256") || FitsAlgorithm(eck, "RS256") {
		t.Fatal("DefaultAlgorithm or FitsAlgorithm wrong for a P-256 key")
	}
}
