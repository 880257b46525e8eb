package clientcred_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastsafe/fastsafe/pkg/verify"
)

// fakeAuth is an authorization server and a resource on loopback, for the
// tests and examples of this package: it checks client assertions and
// DPoP proofs with package verify and requires DPoP nonces, as fastsafe's
// servers do; its tokens are opaque.
type fakeAuth struct {
	*httptest.Server
	keys       map[string]crypto.PublicKey // client ID → assertion key
	tokenDPoP  *verify.DPoPVerifier
	apiDPoP    *verify.DPoPVerifier
	tokenCalls atomic.Int64
	apiCalls   atomic.Int64

	mu     sync.Mutex
	tokens map[string]fakeToken
}

type fakeToken struct {
	client, sub, jkt, act string
	revoked               bool
}

// newFakeAuth serves clients whose assertion keys are keys.
func newFakeAuth(keys map[string]crypto.PublicKey) *fakeAuth {
	nonce := func() *verify.Nonces {
		n, _ := verify.NewNonces([]byte(rand.Text()+rand.Text()), time.Minute, nil)
		return n
	}
	f := &fakeAuth{keys: keys, tokens: map[string]fakeToken{}}
	f.tokenDPoP, _ = verify.NewDPoP(verify.DPoPOptions{Nonces: nonce()})
	f.apiDPoP, _ = verify.NewDPoP(verify.DPoPOptions{Nonces: nonce()})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("POST /introspect", f.introspect)
	mux.HandleFunc("GET /api", f.api)
	f.Server = httptest.NewServer(mux)
	return f
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// client authenticates the request's client by its assertion.
func (f *fakeAuth) client(r *http.Request) (string, bool) {
	if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return "", false
	}
	j, err := verify.ParseJWS(r.PostForm.Get("client_assertion"), verify.JWSRules{MaxSize: 8 << 10,
		Algorithms: []string{"EdDSA", "ES256", "RS256"}, ClaimMembers: []string{"iss", "sub", "aud"}})
	if err != nil {
		return "", false
	}
	var c struct {
		Iss, Sub string
		Aud      []string
	}
	_ = json.Unmarshal(j.Payload, &c)
	key, ok := f.keys[c.Sub]
	if !ok || c.Iss != c.Sub || len(c.Aud) != 1 || c.Aud[0] != f.URL+"/token" || j.VerifySignature(key) != nil {
		return "", false
	}
	return c.Sub, true
}

func (f *fakeAuth) token(w http.ResponseWriter, r *http.Request) {
	f.tokenCalls.Add(1)
	_ = r.ParseForm()
	client, ok := f.client(r)
	if !ok {
		oauthError(w, 401, "invalid_client")
		return
	}
	var jkt string
	if proof := r.Header.Get("DPoP"); proof != "" {
		p, err := f.tokenDPoP.Verify(r.Context(), proof, verify.DPoPRequest{Method: "POST", URL: f.URL + "/token"})
		if errors.Is(err, verify.ErrDPoPNonce) {
			w.Header().Set("DPoP-Nonce", f.tokenDPoP.Nonce())
			oauthError(w, 400, "use_dpop_nonce")
			return
		}
		if err != nil {
			oauthError(w, 400, "invalid_dpop_proof")
			return
		}
		jkt = p.JKT
	}
	t := fakeToken{client: client, sub: client, jkt: jkt}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
	case "urn:ietf:params:oauth:grant-type:token-exchange":
		f.mu.Lock()
		subject, ok := f.tokens[r.PostForm.Get("subject_token")]
		f.mu.Unlock()
		if !ok || subject.revoked {
			oauthError(w, 400, "invalid_grant")
			return
		}
		t.sub, t.act = subject.sub, client
	default:
		oauthError(w, 400, "unsupported_grant_type")
		return
	}
	value := rand.Text()
	f.mu.Lock()
	f.tokens[value] = t
	f.mu.Unlock()
	typ := "Bearer"
	if jkt != "" {
		typ = "DPoP"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": value, "token_type": typ, "expires_in": 300})
}

func (f *fakeAuth) introspect(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if _, ok := f.client(r); !ok {
		oauthError(w, 401, "invalid_client")
		return
	}
	f.mu.Lock()
	t, ok := f.tokens[r.PostForm.Get("token")]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok || t.revoked {
		_, _ = w.Write([]byte(`{"active":false}`))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"active": true, "client_id": t.client, "sub": t.sub})
}

func (f *fakeAuth) revoke(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tokens[token]
	t.revoked = true
	f.tokens[token] = t
}

// api is a protected resource: a DPoP-bound token and a proof of its key
// with the current nonce. It answers with who called for whom.
func (f *fakeAuth) api(w http.ResponseWriter, r *http.Request) {
	f.apiCalls.Add(1)
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
	f.mu.Lock()
	t, known := f.tokens[tok]
	f.mu.Unlock()
	if !ok || !known || t.jkt == "" {
		w.WriteHeader(401)
		return
	}
	_, err := f.apiDPoP.Verify(r.Context(), r.Header.Get("DPoP"), verify.DPoPRequest{Method: r.Method,
		URL: f.URL + r.URL.Path, AccessToken: tok, JKT: t.jkt})
	if errors.Is(err, verify.ErrDPoPNonce) {
		w.Header().Set("DPoP-Nonce", f.apiDPoP.Nonce())
		w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce"`)
		w.WriteHeader(401)
		return
	}
	if err != nil {
		w.WriteHeader(401)
		return
	}
	fmt.Fprintf(w, "%s for %s", t.client, t.sub)
	if t.act != "" {
		fmt.Fprintf(w, " (acting: %s)", t.act)
	}
}

// serviceKey is a service's assertion key, as it would load it.
func serviceKey() ed25519.PrivateKey {
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	return k
}

// userToken issues a bearer token of user, as a sign-in would.
func (f *fakeAuth) userToken(user string) string {
	v := rand.Text()
	f.mu.Lock()
	f.tokens[v] = fakeToken{client: "web", sub: user}
	f.mu.Unlock()
	return v
}
