package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

// Capacity is how many operations per second cores can do when one takes
// one: cores ÷ one.
func Capacity(cores int, one time.Duration) float64 {
	if one <= 0 {
		return 0
	}
	return float64(cores) / one.Seconds()
}

// BcryptTime returns the median time, over n, of one bcrypt comparison of
// a correct password at cost: what a password grant cannot avoid.
func BcryptTime(cost, n int) (time.Duration, error) {
	op, err := BcryptOp(cost)
	if err != nil {
		return 0, err
	}
	return medianTime(n, op)
}

// SignTime returns the median time, over n, of one SignOp(alg).
func SignTime(alg string, n int) (time.Duration, error) {
	op, err := SignOp(alg)
	if err != nil {
		return 0, err
	}
	return medianTime(n, op)
}

// SignOp returns one signature of the claims of an ordinary access token
// as a JWS with alg (RS256 with a 2048-bit key, ES256 or EdDSA, as the
// authorization server's keys are), encoding included: what a
// client_credentials grant cannot avoid.
func SignOp(alg string) (func() error, error) {
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
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + alg + `","kid":"0123456789abcdef","typ":"at+jwt"}`))
	now := time.Now()
	claims := map[string]any{
		"iss": "http://127.0.0.1:9096", "sub": "bench", "aud": []string{"search-api"},
		"exp": now.Add(30 * time.Minute).Unix(), "iat": now.Unix(), "jti": rand.Text(),
		"client_id": "bench", "scope": "search",
	}
	return func() error {
		payload, err := json.Marshal(claims)
		if err != nil {
			return err
		}
		signing := header + "." + base64.RawURLEncoding.EncodeToString(payload)
		_, err = method.Sign(signing, key)
		return err
	}, nil
}

// BcryptOp returns one bcrypt comparison of a correct password at cost.
func BcryptOp(cost int) (func() error, error) {
	pw := []byte("correct horse battery staple")
	hash, err := bcrypt.GenerateFromPassword(pw, cost)
	if err != nil {
		return nil, err
	}
	return func() error { return bcrypt.CompareHashAndPassword(hash, pw) }, nil
}

func medianTime(n int, f func() error) (time.Duration, error) {
	if n < 1 {
		return 0, fmt.Errorf("bench: %d repetitions", n)
	}
	times := make([]float64, n)
	for i := range times {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		times[i] = float64(time.Since(start))
	}
	return time.Duration(Median(times)), nil
}
