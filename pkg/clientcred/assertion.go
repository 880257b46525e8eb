package clientcred

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AssertionType is the client_assertion_type of JWT client assertions
// (RFC 7523 §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// An Assertion authenticates a client at the authorization server in
// place of a secret (RFC 7521 §4.2): KeyAssertion signs one per request
// with the client's private key; WorkloadToken presents the token the
// platform gives the workload.
type Assertion interface {
	// Assertion returns a client assertion for one request of clientID
	// to tokenURL.
	Assertion(ctx context.Context, clientID, tokenURL string) (string, error)
}

// KeyAssertion makes private_key_jwt assertions: a JWT the client signs
// with its key, for one request (a fresh "jti" each, so that the server
// can refuse a replay), living a minute. The server knows the client's
// public key from its registration (authserver clients add --jwks).
type KeyAssertion struct {
	// Key is the client's private key: *ecdsa.PrivateKey (P-256),
	// ed25519.PrivateKey or *rsa.PrivateKey.
	Key crypto.Signer
	// KeyID is the "kid" of the key in the registered key set; empty
	// sends none, and the server tries every key of the algorithm.
	KeyID string
	// Audience is the assertion's "aud"; default the token URL.
	Audience string
	// Lifetime of each assertion; default a minute, at most five.
	Lifetime time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Assertion signs an assertion of clientID for tokenURL.
func (k KeyAssertion) Assertion(_ context.Context, clientID, tokenURL string) (string, error) {
	method, err := signingMethod(k.Key)
	if err != nil {
		return "", err
	}
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	life := k.Lifetime
	if life <= 0 {
		life = time.Minute
	}
	if life > 5*time.Minute {
		return "", errors.New("clientcred: KeyAssertion.Lifetime over five minutes")
	}
	aud := k.Audience
	if aud == "" {
		aud = tokenURL
	}
	t := now()
	tok := jwt.NewWithClaims(method, jwt.RegisteredClaims{
		Issuer: clientID, Subject: clientID, Audience: jwt.ClaimStrings{aud},
		IssuedAt: jwt.NewNumericDate(t), ExpiresAt: jwt.NewNumericDate(t.Add(life)), ID: rand.Text(),
	})
	if k.KeyID != "" {
		tok.Header["kid"] = k.KeyID
	}
	return tok.SignedString(k.Key)
}

// signingMethod is the JWS algorithm of key: ES256 for P-256, EdDSA for
// Ed25519, RS256 for RSA.
func signingMethod(key crypto.Signer) (jwt.SigningMethod, error) {
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P256() {
			return jwt.SigningMethodES256, nil
		}
	case ed25519.PrivateKey:
		return jwt.SigningMethodEdDSA, nil
	case *rsa.PrivateKey:
		return jwt.SigningMethodRS256, nil
	}
	return nil, fmt.Errorf("clientcred: unsupported key %T: use a P-256, Ed25519 or RSA key", key)
}

// WorkloadToken presents the workload identity token a platform puts in
// a file (a Kubernetes projected service-account token, a CI system's
// OIDC token) as the client's assertion; the authorization server trusts
// its issuer (authserver issuers add). The file is read again whenever
// it changes, as platforms rotate it. It is safe for concurrent use.
type WorkloadToken struct {
	// Path of the token file.
	Path string

	mu      sync.Mutex
	modTime time.Time
	size    int64
	token   string
}

// maxWorkloadToken bounds the token file.
const maxWorkloadToken = 64 << 10

// Assertion returns the file's token, read again if the file changed.
func (w *WorkloadToken) Assertion(context.Context, string, string) (string, error) {
	fi, err := os.Stat(w.Path)
	if err != nil {
		return "", fmt.Errorf("clientcred: workload token: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.token != "" && fi.ModTime().Equal(w.modTime) && fi.Size() == w.size {
		return w.token, nil
	}
	if fi.Size() > maxWorkloadToken {
		return "", fmt.Errorf("clientcred: workload token %s is larger than %d bytes", w.Path, maxWorkloadToken)
	}
	b, err := os.ReadFile(w.Path)
	if err != nil {
		return "", fmt.Errorf("clientcred: workload token: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "", fmt.Errorf("clientcred: workload token %s is empty", w.Path)
	}
	w.token, w.modTime, w.size = string(b), fi.ModTime(), fi.Size()
	return w.token, nil
}
