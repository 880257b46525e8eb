package security_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"hash"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

func b64(b []byte) string    { return base64.RawURLEncoding.EncodeToString(b) }
func b64std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
func unb64(s string) []byte  { b, _ := base64.RawURLEncoding.DecodeString(s); return b }
func sha(h crypto.Hash) func() hash.Hash {
	switch h {
	case crypto.SHA384:
		return sha512.New384
	case crypto.SHA512:
		return sha512.New
	default:
		return sha256.New
	}
}

// signer signs a JWS signing input; nil means an empty signature.
type signer func(t testing.TB, input []byte) []byte

func digest(h crypto.Hash, input []byte) []byte {
	d := sha(h)()
	d.Write(input)
	return d.Sum(nil)
}

func rsSigner(key *rsa.PrivateKey, h crypto.Hash) signer {
	return func(t testing.TB, input []byte) []byte {
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, h, digest(h, input))
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

func psSigner(key *rsa.PrivateKey, h crypto.Hash) signer {
	return func(t testing.TB, input []byte) []byte {
		sig, err := rsa.SignPSS(rand.Reader, key, h, digest(h, input), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

// esDER is an ECDSA signature as ASN.1 DER, which JWS does not use.
func esDER(key *ecdsa.PrivateKey) signer {
	return func(t testing.TB, input []byte) []byte {
		sig, err := ecdsa.SignASN1(rand.Reader, key, digest(crypto.SHA256, input))
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

// esSigner is ES256 as JWS has it: R || S, 32 bytes each (RFC 7518 §3.4).
func esSigner(key *ecdsa.PrivateKey) signer {
	return func(t testing.TB, input []byte) []byte {
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(esDER(key)(t, input), &rs); err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 64)
		rs.R.FillBytes(out[:32])
		rs.S.FillBytes(out[32:])
		return out
	}
}

func hsSigner(secret []byte, h crypto.Hash) signer {
	return func(_ testing.TB, input []byte) []byte {
		m := hmac.New(sha(h), secret)
		m.Write(input)
		return m.Sum(nil)
	}
}

func edSigner(key ed25519.PrivateKey) signer {
	return func(_ testing.TB, input []byte) []byte { return ed25519.Sign(key, input) }
}

// constSigner returns a fixed signature.
func constSigner(sig []byte) signer { return func(testing.TB, []byte) []byte { return sig } }

// jws builds a compact JWS from raw JSON header and payload.
func jws(t testing.TB, header, payload string, sign signer) string {
	t.Helper()
	in := b64([]byte(header)) + "." + b64([]byte(payload))
	var sig []byte
	if sign != nil {
		sig = sign(t, []byte(in))
	}
	return in + "." + b64(sig)
}

// del marks a header member or claim to leave out.
type del struct{}

// issuer forges tokens in the name of an authorization server, with its
// real signing key read out of its database.
type issuer struct {
	auth *harness.Auth
	rs   *harness.Resource
	kid  string
	alg  string
	key  crypto.Signer
}

func newIssuer(a *harness.Auth, rs *harness.Resource) *issuer {
	kid, alg, key := a.SigningKey()
	return &issuer{auth: a, rs: rs, kid: kid, alg: alg, key: key}
}

// sign is the issuer's own signature.
func (is *issuer) sign() signer {
	switch k := is.key.(type) {
	case *rsa.PrivateKey:
		return rsSigner(k, crypto.SHA256)
	case *ecdsa.PrivateKey:
		return esSigner(k)
	case ed25519.PrivateKey:
		return edSigner(k)
	}
	panic("unknown key type")
}

func (is *issuer) header(over map[string]any) string {
	h := map[string]any{"alg": is.alg, "typ": "at+jwt", "kid": is.kid}
	return mustJSON(apply(h, over))
}

func (is *issuer) claims(over map[string]any) string {
	now := time.Now()
	c := map[string]any{
		"iss":       is.auth.URL,
		"sub":       "tester",
		"aud":       []string{"search-api"},
		"exp":       now.Add(5 * time.Minute).Unix(),
		"iat":       now.Add(-10 * time.Second).Unix(),
		"jti":       rand.Text(),
		"client_id": "web",
		"scope":     "search",
	}
	return mustJSON(apply(c, over))
}

// token is a token signed with the issuer's real key, with the given
// header members and claims changed.
func (is *issuer) token(t testing.TB, header, claims map[string]any) string {
	return jws(t, is.header(header), is.claims(claims), is.sign())
}

func apply(m, over map[string]any) map[string]any {
	for k, v := range over {
		if _, ok := v.(del); ok {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// jwks fetches the issuer's published key set.
func (is *issuer) jwks(t testing.TB) (raw []byte, keys []map[string]any) {
	t.Helper()
	resp, err := http.Get(is.auth.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS: %v", err)
	}
	for _, k := range set.Keys {
		var m map[string]any
		if err := json.Unmarshal(k, &m); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, m)
	}
	return set.Keys[0], keys
}
