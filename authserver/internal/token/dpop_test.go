package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/url"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

const tokenURL = "https://auth.example.com/token"

// dpopKey is a client's DPoP key.
type dpopKey struct {
	key *ecdsa.PrivateKey
	jwk jwks.Key
	jkt string
}

func newDPoPKey(t *testing.T) dpopKey {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk, _ := jwks.FromPublicKey("", "", &k.PublicKey)
	jwk.Kid, jwk.Use = "", ""
	jkt, _ := jwk.Thumbprint()
	return dpopKey{k, jwk, jkt}
}

// header is a DPoP header of a fresh proof for the token endpoint at f's
// time, edited by edit.
func (k dpopKey) header(t *testing.T, f *fixture, edit func(jwt.MapClaims)) http.Header {
	t.Helper()
	c := jwt.MapClaims{"jti": rand.Text(), "htm": "POST", "htu": tokenURL, "iat": f.clock.Now().Unix()}
	if edit != nil {
		edit(c)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	tok.Header["typ"], tok.Header["jwk"] = "dpop+jwt", k.jwk
	s, err := tok.SignedString(k.key)
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{"Dpop": {s}}
}

func TestDPoPBindsAccessTokens(t *testing.T) {
	f := newFixture(t)
	k := newDPoPKey(t)
	resp, c := issued(t, f.postWith(t, "svc", url.Values{"grant_type": {"client_credentials"}}, k.header(t, f, nil)))
	if resp.TokenType != "DPoP" || c.BoundKey() != k.jkt {
		t.Fatalf("token_type %q, cnf %+v, want DPoP bound to %s", resp.TokenType, c.Confirmation, k.jkt)
	}
	resp, c = issued(t, f.post(t, "svc", url.Values{"grant_type": {"client_credentials"}}))
	if resp.TokenType != "Bearer" || c.Confirmation != nil {
		t.Fatalf("without a proof: token_type %q, cnf %+v", resp.TokenType, c.Confirmation)
	}
	// An exchanged token is bound to the proof of the exchange.
	user, _ := userToken(t, f, "search")
	resp, c = issued(t, f.postWith(t, "svc-a", exchangeForm(user, "audience", "svc-b"), k.header(t, f, nil)))
	if resp.TokenType != "DPoP" || c.BoundKey() != k.jkt {
		t.Fatalf("exchange: token_type %q, cnf %+v", resp.TokenType, c.Confirmation)
	}

	bad := refusal{400, "invalid_dpop_proof", "the DPoP proof is invalid: htu is not the request's URL"}
	wantRefusal(t, f.postWith(t, "svc", url.Values{"grant_type": {"client_credentials"}},
		k.header(t, f, func(c jwt.MapClaims) { c["htu"] = "https://auth.example.com/other" })), bad)
	proof := k.header(t, f, nil)
	issued(t, f.postWith(t, "svc", url.Values{"grant_type": {"client_credentials"}}, proof))
	wantRefusal(t, f.postWith(t, "svc", url.Values{"grant_type": {"client_credentials"}}, proof),
		refusal{400, "invalid_dpop_proof", "the DPoP proof is invalid: replayed"})
	two := k.header(t, f, nil)
	two.Add("Dpop", k.header(t, f, nil).Get("Dpop"))
	wantRefusal(t, f.postWith(t, "svc", url.Values{"grant_type": {"client_credentials"}}, two),
		refusal{400, "invalid_dpop_proof", "more than one DPoP header"})
}

// TestDPoPBindsPublicRefreshTokens: a public client's refresh token is
// bound to its DPoP key, and only a proof of that key refreshes it.
func TestDPoPBindsPublicRefreshTokens(t *testing.T) {
	f := newFixture(t)
	k, other := newDPoPKey(t), newDPoPKey(t)
	login := url.Values{"grant_type": {"password"}, "username": {"kelvin"}, "password": {goodPassword}}
	resp, _ := issued(t, f.postWith(t, "pub", login, k.header(t, f, nil)))
	refresh := func(tok string) url.Values {
		return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}}
	}
	invalid := refusal{400, "invalid_grant", "the refresh token is invalid, expired or revoked"}
	wantRefusal(t, f.post(t, "pub", refresh(resp.RefreshToken)), invalid)
	wantRefusal(t, f.postWith(t, "pub", refresh(resp.RefreshToken), other.header(t, f, nil)), invalid)
	next, c := issued(t, f.postWith(t, "pub", refresh(resp.RefreshToken), k.header(t, f, nil)))
	if c.BoundKey() != k.jkt || next.TokenType != "DPoP" {
		t.Fatalf("refreshed: %+v %+v", next, c.Confirmation)
	}
	wantRefusal(t, f.post(t, "pub", refresh(next.RefreshToken)), invalid)
	issued(t, f.postWith(t, "pub", refresh(next.RefreshToken), k.header(t, f, nil)))

	// A confidential client's refresh tokens stay unbound: its secret
	// already constrains them.
	resp, _ = issued(t, f.postWith(t, "web", login, k.header(t, f, nil)))
	issued(t, f.post(t, "web", refresh(resp.RefreshToken)))
}

func TestDPoPNonce(t *testing.T) {
	f := newFixture(t)
	nonces, err := verify.NewNonces([]byte("0123456789abcdef0123456789abcdef"), 300e9, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if f.h.opts.DPoP, err = verify.NewDPoP(verify.DPoPOptions{Now: f.clock.Now, Nonces: nonces}); err != nil {
		t.Fatal(err)
	}
	k := newDPoPKey(t)
	a := f.postWith(t, "svc", url.Values{"grant_type": {"client_credentials"}}, k.header(t, f, nil))
	wantRefusal(t, a, refusal{400, "use_dpop_nonce", "the DPoP proof must carry the nonce of the DPoP-Nonce header"})
	nonce := a.header.Get("DPoP-Nonce")
	if !nonces.Valid(nonce) {
		t.Fatalf("DPoP-Nonce %q is not a nonce", nonce)
	}
	a = f.postWith(t, "svc", url.Values{"grant_type": {"client_credentials"}}, k.header(t, f, func(c jwt.MapClaims) { c["nonce"] = nonce }))
	issued(t, a)
	if a.header.Get("DPoP-Nonce") == "" {
		t.Fatal("a success answer without the current nonce")
	}
}
