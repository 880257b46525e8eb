package bearer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

const publicURL = "https://api.example"

type holder struct {
	key *ecdsa.PrivateKey
	jwk jwks.Key
	jkt string
}

func newHolder(t *testing.T) holder {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk, _ := jwks.FromPublicKey("", "", &k.PublicKey)
	jwk.Kid, jwk.Use = "", ""
	jkt, _ := jwk.Thumbprint()
	return holder{k, jwk, jkt}
}

// proof is a DPoP proof for method and path of publicURL, going with
// token, edited by edit.
func (h holder) proof(t *testing.T, method, path, token string, edit func(jwt.MapClaims)) string {
	t.Helper()
	sum := sha256.Sum256([]byte(token))
	c := jwt.MapClaims{"jti": rand.Text(), "htm": method, "htu": publicURL + path, "iat": time.Now().Unix(),
		"ath": base64.RawURLEncoding.EncodeToString(sum[:])}
	if edit != nil {
		edit(c)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	tok.Header["typ"], tok.Header["jwk"] = "dpop+jwt", h.jwk
	s, err := tok.SignedString(h.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDPoP(t *testing.T) {
	alice, mallory := newHolder(t), newHolder(t)
	v := newFakeVerifier()
	v.tokens["bound-token"] = &claims.AccessToken{Subject: "alice", ClientID: "svc", Scope: "search",
		Confirmation: &claims.Confirmation{JKT: alice.jkt}}
	dp, err := verify.NewDPoP(verify.DPoPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Realm: "api", DPoP: dp, PublicURL: publicURL}
	var proven bool
	handler := Authenticate(v, opts)(RequireScopes(opts, "search")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proven = DPoPProven(r.Context())
	})))
	replayed := alice.proof(t, "GET", "/search", "bound-token", nil)

	tests := []struct {
		name       string
		auth       string
		proofs     []string
		status     int
		bearerErr  string // error of the Bearer challenge
		dpopErr    string // error of the DPoP challenge
		wantProven bool
	}{
		{name: "bound token with its proof", auth: "DPoP bound-token", proofs: []string{replayed}, status: 200, wantProven: true},
		{name: "replayed proof", auth: "DPoP bound-token", proofs: []string{replayed}, status: 401, dpopErr: "invalid_dpop_proof"},
		{name: "scheme in lower case", auth: "dpop bound-token", proofs: []string{alice.proof(t, "GET", "/search", "bound-token", nil)}, status: 200, wantProven: true},
		{name: "bearer token still accepted", auth: "Bearer search-token", status: 200},
		{name: "bound token sent as Bearer", auth: "Bearer bound-token", status: 401, bearerErr: "invalid_token"},
		{name: "bound token as Bearer, with a proof", auth: "Bearer bound-token", proofs: []string{alice.proof(t, "GET", "/search", "bound-token", nil)}, status: 401, bearerErr: "invalid_token"},
		{name: "no proof", auth: "DPoP bound-token", status: 401, dpopErr: "invalid_dpop_proof"},
		{name: "two proofs", auth: "DPoP bound-token", proofs: []string{alice.proof(t, "GET", "/search", "bound-token", nil), alice.proof(t, "GET", "/search", "bound-token", nil)}, status: 401, dpopErr: "invalid_dpop_proof"},
		{name: "proof for another method", auth: "DPoP bound-token", proofs: []string{alice.proof(t, "POST", "/search", "bound-token", nil)}, status: 401, dpopErr: "invalid_dpop_proof"},
		{name: "proof for another URL", auth: "DPoP bound-token", proofs: []string{alice.proof(t, "GET", "/admin", "bound-token", nil)}, status: 401, dpopErr: "invalid_dpop_proof"},
		{name: "proof of another token", auth: "DPoP bound-token", proofs: []string{alice.proof(t, "GET", "/search", "another-token", nil)}, status: 401, dpopErr: "invalid_dpop_proof"},
		{name: "proof too old", auth: "DPoP bound-token", proofs: []string{alice.proof(t, "GET", "/search", "bound-token", func(c jwt.MapClaims) { c["iat"] = time.Now().Add(-time.Hour).Unix() })}, status: 401, dpopErr: "invalid_dpop_proof"},
		{name: "proof by another key than cnf.jkt", auth: "DPoP bound-token", proofs: []string{mallory.proof(t, "GET", "/search", "bound-token", nil)}, status: 401, dpopErr: "invalid_token"},
		{name: "unbound token with the DPoP scheme", auth: "DPoP search-token", proofs: []string{alice.proof(t, "GET", "/search", "search-token", nil)}, status: 401, dpopErr: "invalid_token"},
		{name: "invalid token with the DPoP scheme", auth: "DPoP expired-token", proofs: []string{alice.proof(t, "GET", "/search", "expired-token", nil)}, status: 401, dpopErr: "invalid_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proven = false
			r := httptest.NewRequest("GET", "/search?query=apple", nil)
			r.Header.Set("Authorization", tt.auth)
			for _, p := range tt.proofs {
				r.Header.Add("DPoP", p)
			}
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if proven != tt.wantProven {
				t.Fatalf("DPoPProven = %v", proven)
			}
			if tt.status == 200 {
				return
			}
			chs := w.Header().Values("WWW-Authenticate")
			if len(chs) != 2 || !strings.HasPrefix(chs[0], "Bearer ") || !strings.HasPrefix(chs[1], "DPoP ") ||
				!strings.Contains(chs[1], `algs="ES256 EdDSA RS256"`) {
				t.Fatalf("challenges %q", chs)
			}
			for i, want := range []string{tt.bearerErr, tt.dpopErr} {
				if (want == "") == strings.Contains(chs[i], "error=") || (want != "" && !strings.Contains(chs[i], `error="`+want+`"`)) {
					t.Errorf("challenge %q, want error %q", chs[i], want)
				}
			}
			var body map[string]string
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if body["error"] != tt.bearerErr+tt.dpopErr {
				t.Errorf("body %v", body)
			}
		})
	}
}

func TestRequireDPoP(t *testing.T) {
	alice := newHolder(t)
	v := newFakeVerifier()
	v.tokens["bound-token"] = &claims.AccessToken{Subject: "alice", ClientID: "svc", Scope: "search",
		Confirmation: &claims.Confirmation{JKT: alice.jkt}}
	dp, _ := verify.NewDPoP(verify.DPoPOptions{})
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	serve := func(h http.Handler, auth string, proof string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/search", nil)
		r.Header.Set("Authorization", auth)
		if proof != "" {
			r.Header.Set("DPoP", proof)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	// Everywhere: Options.RequireDPoP.
	all := Options{Realm: "api", DPoP: dp, PublicURL: publicURL, RequireDPoP: true}
	w := serve(Authenticate(v, all)(ok), "Bearer search-token", "")
	if chs := w.Header().Values("WWW-Authenticate"); w.Code != 401 || len(chs) != 1 || !strings.HasPrefix(chs[0], "DPoP ") ||
		!strings.Contains(chs[0], `error="invalid_token"`) {
		t.Fatalf("bearer token where DPoP is required: %d %q", w.Code, chs)
	}
	if w := serve(Authenticate(v, all)(ok), "DPoP bound-token", alice.proof(t, "GET", "/search", "bound-token", nil)); w.Code != 200 {
		t.Fatalf("DPoP where required: %d %s", w.Code, w.Body)
	}

	// On one route: RequireDPoP after Authenticate.
	some := Options{Realm: "api", DPoP: dp, PublicURL: publicURL}
	route := Authenticate(v, some)(RequireDPoP(some)(ok))
	if w := serve(route, "Bearer search-token", ""); w.Code != 401 || !strings.Contains(w.Header().Values("WWW-Authenticate")[1], `error="invalid_token"`) {
		t.Fatalf("bearer token on a route requiring DPoP: %d %q", w.Code, w.Header().Values("WWW-Authenticate"))
	}
	if w := serve(route, "DPoP bound-token", alice.proof(t, "GET", "/search", "bound-token", nil)); w.Code != 200 {
		t.Fatalf("DPoP on a route requiring it: %d %s", w.Code, w.Body)
	}

	// Without DPoP configured the scheme is unknown: no credentials.
	if w := serve(Authenticate(v, Options{Realm: "api"})(ok), "DPoP bound-token", alice.proof(t, "GET", "/search", "bound-token", nil)); w.Code != 401 ||
		strings.Contains(w.Header().Get("WWW-Authenticate"), "error=") {
		t.Fatalf("DPoP without DPoP support: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestDPoPNonceChallenge(t *testing.T) {
	alice := newHolder(t)
	v := newFakeVerifier()
	v.tokens["bound-token"] = &claims.AccessToken{Subject: "alice", ClientID: "svc", Scope: "search",
		Confirmation: &claims.Confirmation{JKT: alice.jkt}}
	nonces, _ := verify.NewNonces([]byte("0123456789abcdef0123456789abcdef"), time.Minute, nil)
	dp, _ := verify.NewDPoP(verify.DPoPOptions{Nonces: nonces})
	opts := Options{DPoP: dp, PublicURL: publicURL}
	h := Authenticate(v, opts)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest("GET", "/search", nil)
	r.Header.Set("Authorization", "DPoP bound-token")
	r.Header.Set("DPoP", alice.proof(t, "GET", "/search", "bound-token", nil))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 || !strings.Contains(w.Header().Values("WWW-Authenticate")[1], `error="use_dpop_nonce"`) || !nonces.Valid(w.Header().Get("DPoP-Nonce")) {
		t.Fatalf("without the nonce: %d %q nonce %q", w.Code, w.Header().Values("WWW-Authenticate"), w.Header().Get("DPoP-Nonce"))
	}
	nonce := w.Header().Get("DPoP-Nonce")
	r.Header.Set("DPoP", alice.proof(t, "GET", "/search", "bound-token", func(c jwt.MapClaims) { c["nonce"] = nonce }))
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("with the nonce: %d %s", w.Code, w.Body)
	}
}
