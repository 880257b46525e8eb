package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/jwks"
)

var dpopNow = time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)

type proofKey struct {
	alg    string
	signer crypto.Signer
	jwk    jwks.Key
}

func newProofKey(t testing.TB, alg string) proofKey {
	t.Helper()
	var s crypto.Signer
	switch alg {
	case "ES256":
		s, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, s, _ = ed25519.GenerateKey(rand.Reader)
	case "RS256":
		s, _ = rsa.GenerateKey(rand.Reader, 2048)
	}
	k, err := jwks.FromPublicKey("", "", s.Public())
	if err != nil {
		t.Fatal(err)
	}
	k.Use, k.Kid = "", ""
	return proofKey{alg: alg, signer: s, jwk: k}
}

func (k proofKey) thumbprint(t testing.TB) string {
	tp, err := k.jwk.Thumbprint()
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// proof signs a DPoP proof for method and url, edited by claims and hdr.
func (k proofKey) proof(t testing.TB, method, url string, edit func(c jwt.MapClaims, h map[string]any)) string {
	t.Helper()
	c := jwt.MapClaims{"jti": rand.Text(), "htm": method, "htu": url, "iat": dpopNow.Unix()}
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.alg), c)
	tok.Header["typ"] = "dpop+jwt"
	tok.Header["jwk"] = k.jwk
	if edit != nil {
		edit(c, tok.Header)
	}
	s, err := tok.SignedString(k.signer)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// privateScalar is the JWK "d" of k.
func privateScalar(t testing.TB, k *ecdsa.PrivateKey) string {
	b, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func ath(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func newDPoPVerifier(t testing.TB, nonces NonceSource) *DPoPVerifier {
	t.Helper()
	v, err := NewDPoP(DPoPOptions{Now: func() time.Time { return dpopNow }, Nonces: nonces,
		Replay: NewReplayCache(100, func() time.Time { return dpopNow })})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDPoPVerify(t *testing.T) {
	const (
		url   = "https://api.example/search"
		token = "the-access-token"
	)
	es, ed, rs, other := newProofKey(t, "ES256"), newProofKey(t, "EdDSA"), newProofKey(t, "RS256"), newProofKey(t, "ES256")
	withATH := func(c jwt.MapClaims, _ map[string]any) { c["ath"] = ath(token) }
	v := newDPoPVerifier(t, nil)
	replayed := es.proof(t, "GET", url, withATH)
	tests := []struct {
		name  string
		proof string
		req   DPoPRequest
		want  error
	}{
		{"ES256", replayed, DPoPRequest{Method: "GET", URL: url, AccessToken: token, JKT: es.thumbprint(t)}, nil},
		{"replayed", replayed, DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"EdDSA", ed.proof(t, "GET", url, withATH), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, nil},
		{"RS256", rs.proof(t, "GET", url, withATH), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, nil},
		{"at a token endpoint, no ath", es.proof(t, "POST", "https://auth.example/token", nil), DPoPRequest{Method: "POST", URL: "https://auth.example/token"}, nil},
		{"query and fragment ignored, host case and default port normalised", es.proof(t, "GET", "https://API.example:443/search?x=1#f", withATH), DPoPRequest{Method: "GET", URL: url + "?query=apple", AccessToken: token}, nil},
		{"another method", es.proof(t, "POST", url, withATH), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"method in lower case", es.proof(t, "get", url, withATH), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"another path", es.proof(t, "GET", "https://api.example/admin", withATH), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"another host", es.proof(t, "GET", "https://evil.example/search", withATH), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"http for https", es.proof(t, "GET", "http://api.example/search", withATH), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"too old", es.proof(t, "GET", url, func(c jwt.MapClaims, _ map[string]any) {
			withATH(c, nil)
			c["iat"] = dpopNow.Add(-2 * time.Minute).Unix()
		}), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"from the future", es.proof(t, "GET", url, func(c jwt.MapClaims, _ map[string]any) { withATH(c, nil); c["iat"] = dpopNow.Add(time.Hour).Unix() }), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"iat a string", es.proof(t, "GET", url, func(c jwt.MapClaims, _ map[string]any) { withATH(c, nil); c["iat"] = fmt.Sprint(dpopNow.Unix()) }), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"no jti", es.proof(t, "GET", url, func(c jwt.MapClaims, _ map[string]any) { withATH(c, nil); delete(c, "jti") }), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"no ath", es.proof(t, "GET", url, nil), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"wrong ath", es.proof(t, "GET", url, func(c jwt.MapClaims, _ map[string]any) { c["ath"] = ath("another token") }), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"signed by another key than cnf.jkt", other.proof(t, "GET", url, withATH), DPoPRequest{Method: "GET", URL: url, AccessToken: token, JKT: es.thumbprint(t)}, ErrDPoPBinding},
		{"jwk of one key, signed by another", func() string {
			k := other
			k.jwk = es.jwk
			return k.proof(t, "GET", url, withATH)
		}(), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"typ JWT", es.proof(t, "GET", url, func(c jwt.MapClaims, h map[string]any) { withATH(c, nil); h["typ"] = "JWT" }), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"no typ", es.proof(t, "GET", url, func(c jwt.MapClaims, h map[string]any) { withATH(c, nil); delete(h, "typ") }), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"no jwk", es.proof(t, "GET", url, func(c jwt.MapClaims, h map[string]any) { withATH(c, nil); delete(h, "jwk") }), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"jwk with its private part", es.proof(t, "GET", url, func(c jwt.MapClaims, h map[string]any) {
			withATH(c, nil)
			h["jwk"] = map[string]any{"kty": "EC", "crv": "P-256", "x": es.jwk.X, "y": es.jwk.Y, "d": privateScalar(t, es.signer.(*ecdsa.PrivateKey))}
		}), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"kid beside jwk", es.proof(t, "GET", url, func(c jwt.MapClaims, h map[string]any) { withATH(c, nil); h["kid"] = "k" }), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"jwk of another type than alg", ed.proof(t, "GET", url, func(c jwt.MapClaims, h map[string]any) { withATH(c, nil); h["jwk"] = es.jwk }), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"alg none", func() string {
			h, _ := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": "none", "jwk": es.jwk})
			c, _ := json.Marshal(map[string]any{"jti": "x", "htm": "GET", "htu": url, "iat": dpopNow.Unix(), "ath": ath(token)})
			return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "."
		}(), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"HS256", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"jti": "y", "htm": "GET", "htu": url, "iat": dpopNow.Unix(), "ath": ath(token)})
			tok.Header["typ"], tok.Header["jwk"] = "dpop+jwt", map[string]any{"kty": "oct", "k": "c2VjcmV0"}
			s, _ := tok.SignedString([]byte("secret"))
			return s
		}(), DPoPRequest{Method: "GET", URL: url, AccessToken: token}, ErrDPoPProof},
		{"too large", strings.Repeat("a", MaxDPoPProofSize+1), DPoPRequest{Method: "GET", URL: url}, ErrDPoPProof},
		{"not a JWT", "not-a-proof", DPoPRequest{Method: "GET", URL: url}, ErrDPoPProof},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.proof, tt.req)
			if tt.want == nil {
				if err != nil || p.JKT == "" {
					t.Fatalf("Verify = %v, %v", p, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.proof) || strings.Contains(err.Error(), token) {
				t.Fatal("error repeats the proof or the token")
			}
		})
	}
}

func TestDPoPNonces(t *testing.T) {
	clock := dpopNow
	now := func() time.Time { return clock }
	n, err := NewNonces([]byte("0123456789abcdef0123456789abcdef"), time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	v := newDPoPVerifier(t, n)
	k := newProofKey(t, "ES256")
	req := DPoPRequest{Method: "POST", URL: "https://auth.example/token"}
	if _, err := v.Verify(context.Background(), k.proof(t, "POST", req.URL, nil), req); !errors.Is(err, ErrDPoPNonce) {
		t.Fatalf("without a nonce: %v", err)
	}
	nonce := v.Nonce()
	withNonce := func(nonce string) string {
		return k.proof(t, "POST", req.URL, func(c jwt.MapClaims, _ map[string]any) { c["nonce"] = nonce })
	}
	if _, err := v.Verify(context.Background(), withNonce(nonce), req); err != nil {
		t.Fatalf("with the nonce: %v", err)
	}
	if _, err := v.Verify(context.Background(), withNonce(nonce+"x"), req); !errors.Is(err, ErrDPoPNonce) {
		t.Fatalf("with a forged nonce: %v", err)
	}
	other, _ := NewNonces([]byte("another secret, another server 0"), time.Minute, now)
	if n.Valid(other.Nonce()) {
		t.Fatal("a nonce of another secret is valid")
	}
	clock = clock.Add(time.Minute)
	if !n.Valid(nonce) {
		t.Fatal("the previous nonce is refused")
	}
	clock = clock.Add(time.Minute)
	if n.Valid(nonce) || n.Nonce() == nonce {
		t.Fatal("a nonce two lifetimes old is accepted")
	}
}

func TestReplayCacheBounded(t *testing.T) {
	c := NewReplayCache(128, func() time.Time { return dpopNow })
	for i := range 10_000 {
		if ok, _ := c.UseOnce(context.Background(), fmt.Sprint(i), dpopNow.Add(time.Minute)); !ok {
			t.Fatalf("key %d refused", i)
		}
	}
	if n := c.Len(); n > 128 {
		t.Fatalf("cache holds %d keys, more than its size", n)
	}
	if ok, _ := c.UseOnce(context.Background(), "9999", dpopNow.Add(time.Minute)); ok {
		t.Fatal("a recent key was accepted twice")
	}
	expired := NewReplayCache(128, func() time.Time { return dpopNow.Add(2 * time.Minute) })
	_, _ = expired.UseOnce(context.Background(), "k", dpopNow.Add(time.Minute))
	if ok, _ := expired.UseOnce(context.Background(), "k", dpopNow.Add(3*time.Minute)); !ok {
		t.Fatal("an expired key is still refused")
	}
}

// FuzzDPoP: any proof is either accepted with a thumbprint or refused
// with one of the package's errors; never a panic.
func FuzzDPoP(f *testing.F) {
	k := newProofKey(f, "ES256")
	f.Add(k.proof(f, "GET", "https://api.example/search", nil))
	f.Add(k.proof(f, "GET", "https://api.example/search", func(c jwt.MapClaims, h map[string]any) { h["jwk"] = map[string]any{"kty": "EC"} }))
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6Im5vbmUifQ.e30.")
	f.Fuzz(func(t *testing.T, proof string) {
		v := newDPoPVerifier(t, nil)
		p, err := v.Verify(context.Background(), proof, DPoPRequest{Method: "GET", URL: "https://api.example/search"})
		if err != nil {
			if !errors.Is(err, ErrDPoPProof) && !errors.Is(err, ErrDPoPNonce) && !errors.Is(err, ErrDPoPBinding) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if p.JKT == "" || p.ID == "" {
			t.Fatalf("accepted without thumbprint or jti: %+v", p)
		}
	})
}
