package clientcred

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// DPoPKey is a client's DPoP key (RFC 9449): the tokens the client gets
// with it are bound to it, and every request that uses them carries a
// proof signed with it, so that a stolen token is useless without the
// key. It remembers the nonces servers ask for (DPoP-Nonce), per origin.
// It is safe for concurrent use.
type DPoPKey struct {
	key    crypto.Signer
	method jwt.SigningMethod
	jwk    jwks.Key
	jkt    string
	now    func() time.Time

	mu     sync.Mutex
	nonces map[string]string // by origin
}

// NewDPoPKey returns the DPoP key of key: a P-256, Ed25519 or RSA private
// key, kept in memory by the client only.
func NewDPoPKey(key crypto.Signer) (*DPoPKey, error) {
	method, err := signingMethod(key)
	if err != nil {
		return nil, err
	}
	jwk, err := jwks.FromPublicKey("", "", key.Public())
	if err != nil {
		return nil, err
	}
	jwk.Kid, jwk.Use, jwk.Alg = "", "", ""
	jkt, err := jwk.Thumbprint()
	if err != nil {
		return nil, err
	}
	return &DPoPKey{key: key, method: method, jwk: jwk, jkt: jkt, now: time.Now, nonces: map[string]string{}}, nil
}

// GenerateDPoPKey returns a new P-256 DPoP key.
func GenerateDPoPKey() (*DPoPKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewDPoPKey(k)
}

// Thumbprint is the RFC 7638 thumbprint of the key: the cnf.jkt of the
// tokens bound to it.
func (k *DPoPKey) Thumbprint() string { return k.jkt }

// Proof returns a DPoP proof for a request of method to target (its
// query and fragment left out of htu) that presents accessToken ("" at
// the token endpoint), with the nonce last asked for by target's origin.
func (k *DPoPKey) Proof(method, target, accessToken string) (string, error) {
	u, err := url.Parse(target)
	if err != nil || !u.IsAbs() {
		return "", fmt.Errorf("clientcred: DPoP proof for %q: not an absolute URL", target)
	}
	htu := u.Scheme + "://" + u.Host + u.EscapedPath()
	c := jwt.MapClaims{"jti": rand.Text(), "htm": method, "htu": htu, "iat": k.now().Unix()}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		c["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if n := k.nonce(u); n != "" {
		c["nonce"] = n
	}
	tok := jwt.NewWithClaims(k.method, c)
	tok.Header["typ"] = "dpop+jwt"
	tok.Header["jwk"] = k.jwk
	return tok.SignedString(k.key)
}

func origin(u *url.URL) string { return strings.ToLower(u.Scheme + "://" + u.Host) }

func (k *DPoPKey) nonce(u *url.URL) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.nonces[origin(u)]
}

// remember keeps the DPoP-Nonce of a response of u's origin, and reports
// whether it changed.
func (k *DPoPKey) remember(u *url.URL, h http.Header) bool {
	n := h.Get("DPoP-Nonce")
	if n == "" || len(n) > 512 {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.nonces) > 1024 {
		k.nonces = map[string]string{}
	}
	changed := k.nonces[origin(u)] != n
	k.nonces[origin(u)] = n
	return changed
}

// askedForNonce reports whether resp refuses a proof for lack of the
// server's nonce (RFC 9449 §8 at the token endpoint, §9 at a resource),
// having remembered the new one.
func (k *DPoPKey) askedForNonce(u *url.URL, resp *http.Response, body []byte) bool {
	if !k.remember(u, resp.Header) {
		return false
	}
	switch resp.StatusCode {
	case http.StatusBadRequest:
		return strings.Contains(string(body), `"use_dpop_nonce"`)
	case http.StatusUnauthorized:
		for _, c := range resp.Header.Values("WWW-Authenticate") {
			if strings.Contains(c, `error="use_dpop_nonce"`) {
				return true
			}
		}
	}
	return false
}

// dpopTransport sends each request with "Authorization: DPoP token" and
// a fresh proof, and sends it once more with the server's nonce when the
// server asks for one.
type dpopTransport struct {
	base   http.RoundTripper
	key    *DPoPKey
	tokens func() (string, error)
}

func (t *dpopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.tokens()
	if err != nil {
		return nil, err
	}
	resp, err := t.send(req, tok)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		if err == nil {
			t.key.remember(req.URL, resp.Header)
		}
		return resp, err
	}
	if !t.key.askedForNonce(req.URL, resp, nil) || (req.Body != nil && req.GetBody == nil) {
		return resp, nil
	}
	resp.Body.Close()
	retry := req
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		retry = req.Clone(req.Context())
		retry.Body = body
	}
	return t.send(retry, tok)
}

func (t *dpopTransport) send(req *http.Request, tok string) (*http.Response, error) {
	proof, err := t.key.Proof(req.Method, req.URL.String(), tok)
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "DPoP "+tok)
	r.Header.Set("DPoP", proof)
	return t.base.RoundTrip(r)
}
