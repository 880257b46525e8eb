package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/clientcred"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// VerifyOp returns one verification of the signature of an ordinary
// access token signed with alg (RS256 with a 2048-bit key, ES256 or
// EdDSA): what the grants that take a signed token in (a client
// assertion, a subject token) cannot avoid.
func VerifyOp(alg string) (func() error, error) {
	var (
		key crypto.Signer
		err error
	)
	switch alg {
	case "RS256":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("bench: unknown algorithm %q", alg)
	}
	if err != nil {
		return nil, err
	}
	method := jwt.GetSigningMethod(alg)
	tok, err := jwt.NewWithClaims(method, jwt.MapClaims{"iss": "http://127.0.0.1:9096", "sub": "bench",
		"aud": "search-api", "exp": time.Now().Add(time.Hour).Unix(), "jti": rand.Text()}).SignedString(key)
	if err != nil {
		return nil, err
	}
	parts, sig := tok[:lastDot(tok)], []byte(nil)
	if sig, err = jwt.NewParser().DecodeSegment(tok[lastDot(tok)+1:]); err != nil {
		return nil, err
	}
	pub := key.Public()
	return func() error { return method.Verify(parts, sig, pub) }, nil
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

// DPoPVerifyOp returns the verification of one DPoP proof for url and
// token by a verify.DPoPVerifier, replay cache included, as a resource
// server verifies it: the op verifies the next of n proofs made
// beforehand, so that making them is not timed.
func DPoPVerifyOp(n int, url, token string) (func() error, error) {
	key, err := clientcred.GenerateDPoPKey()
	if err != nil {
		return nil, err
	}
	proofs, err := DPoPProofs(key, n, "GET", url, token)
	if err != nil {
		return nil, err
	}
	v, err := verify.NewDPoP(verify.DPoPOptions{})
	if err != nil {
		return nil, err
	}
	next := 0
	req := verify.DPoPRequest{Method: "GET", URL: url, AccessToken: token, JKT: key.Thumbprint()}
	return func() error {
		if next >= len(proofs) {
			return fmt.Errorf("bench: more than %d proofs verified", len(proofs))
		}
		p := proofs[next]
		next++
		_, err := v.Verify(context.Background(), p, req)
		return err
	}, nil
}

// DPoPProofs makes n DPoP proofs of key for requests of method to url
// with token.
func DPoPProofs(key *clientcred.DPoPKey, n int, method, url, token string) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		p, err := key.Proof(method, url, token)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}
