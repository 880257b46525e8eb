package clientauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

const (
	testIssuer   = "https://auth.example"
	testTokenURL = "https://auth.example/token"
)

// assertionStore is the trusted issuers and one-time values of a test.
type assertionStore struct {
	issuers map[string]store.TrustedIssuer
	mu      sync.Mutex
	used    map[string]time.Time
	fail    bool
}

func (s *assertionStore) GetTrustedIssuer(_ context.Context, iss string) (store.TrustedIssuer, error) {
	if i, ok := s.issuers[iss]; ok {
		return i, nil
	}
	return store.TrustedIssuer{}, store.ErrNotFound
}

func (s *assertionStore) UseOnce(_ context.Context, key string, now, exp time.Time) (bool, error) {
	if s.fail {
		return false, errors.New("database down")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.used[key]; ok && !e.Before(now) {
		return false, nil
	}
	s.used[key] = exp
	return true, nil
}

// keyPair is a client's signing key and its public JWK.
type keyPair struct {
	kid    string
	alg    string
	signer crypto.Signer
	jwk    jwks.Key
}

func newKeyPair(t testing.TB, kid, alg string) keyPair {
	t.Helper()
	var s crypto.Signer
	switch alg {
	case "EdDSA":
		_, s, _ = ed25519.GenerateKey(rand.Reader)
	case "ES256":
		s, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	k, err := jwks.FromPublicKey(kid, alg, s.Public())
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{kid: kid, alg: alg, signer: s, jwk: k}
}

func jwksOf(keys ...keyPair) string {
	set := jwks.Set{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.jwk)
	}
	b, _ := json.Marshal(set)
	return string(b)
}

// sign makes a JWT of claims with k, with the header edited by hdr.
func (k keyPair) sign(t testing.TB, claims jwt.MapClaims, hdr func(map[string]any)) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.alg), claims)
	if k.kid != "" {
		tok.Header["kid"] = k.kid
	}
	if hdr != nil {
		hdr(tok.Header)
	}
	s, err := tok.SignedString(k.signer)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var assertionNow = time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)

func claimsFor(iss, sub, aud string, exp time.Duration) jwt.MapClaims {
	return jwt.MapClaims{"iss": iss, "sub": sub, "aud": aud, "exp": assertionNow.Add(exp).Unix(),
		"iat": assertionNow.Unix(), "jti": rand.Text()}
}

// platform is a workload identity issuer on loopback: its own key set,
// served by discovery.
func newPlatform(t *testing.T) (*httptest.Server, keyPair) {
	key := newKeyPair(t, "platform-1", "ES256")
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "jwks_uri": srv.URL + "/keys"})
		case "/keys":
			_, _ = w.Write([]byte(jwksOf(key)))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, key
}

func TestAssertions(t *testing.T) {
	own := newKeyPair(t, "k1", "EdDSA")
	noKid := newKeyPair(t, "k2", "ES256")
	other := newKeyPair(t, "k1", "EdDSA") // another client's key, same kid
	platform, workloadKey := newPlatform(t)
	const workloadSub = "system:serviceaccount:shop:checkout"

	clients := fakeClients{
		"svc-a":     {ID: "svc-a", JWKS: jwksOf(own, noKid)},
		"svc-b":     {ID: "svc-b", JWKS: jwksOf(other)},
		"checkout":  {ID: "checkout", AssertionIssuer: platform.URL, AssertionSubject: workloadSub},
		"untrusted": {ID: "untrusted", AssertionIssuer: "https://not-trusted.example", AssertionSubject: workloadSub},
		"secret":    {ID: "secret", SecretHash: []byte("0123456789abcdef0123456789abcdef")},
		// A client whose keys are fetched from its jwks_uri (the
		// platform's key set stands in for it).
		"remote": {ID: "remote", JWKSURI: platform.URL + "/keys"},
	}
	st := &assertionStore{used: map[string]time.Time{}, issuers: map[string]store.TrustedIssuer{
		platform.URL: {Issuer: platform.URL},
	}}
	auth := New(clients, nil, &Assertions{Issuer: testIssuer, TokenEndpoint: testTokenURL,
		Endpoints: []string{testIssuer + "/introspect"}, Store: st, Keys: NewKeySets(platform.Client(), func() time.Time { return assertionNow }),
		Now: func() time.Time { return assertionNow }})

	replayed := own.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute), nil)
	workload := workloadKey.sign(t, claimsFor(platform.URL, workloadSub, testIssuer, time.Hour), nil)
	form := func(assertion string, extra ...string) url.Values {
		f := url.Values{"client_assertion_type": {AssertionType}, "client_assertion": {assertion}}
		for i := 0; i+1 < len(extra); i += 2 {
			f.Set(extra[i], extra[i+1])
		}
		return f
	}
	unsigned := func() string {
		h := `{"alg":"none","typ":"JWT"}`
		c, _ := json.Marshal(claimsFor("svc-a", "svc-a", testTokenURL, time.Minute))
		return b64url(h) + "." + b64url(string(c)) + "."
	}()
	hs256 := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute))
		s, _ := tok.SignedString([]byte(own.jwk.X))
		return s
	}()

	tests := []struct {
		name     string
		form     url.Values
		header   string
		wantID   string
		wantCode string
	}{
		{name: "own key, aud the token endpoint", form: form(replayed), wantID: "svc-a"},
		{name: "replayed", form: form(replayed), wantCode: oautherr.CodeInvalidClient},
		{name: "aud the issuer", form: form(own.sign(t, claimsFor("svc-a", "svc-a", testIssuer, time.Minute), nil)), wantID: "svc-a"},
		{name: "aud the introspection endpoint", form: form(own.sign(t, claimsFor("svc-a", "svc-a", testIssuer+"/introspect", time.Minute), nil)), wantID: "svc-a"},
		{name: "no kid, found by algorithm", form: form(noKid.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute), func(h map[string]any) { delete(h, "kid") })), wantID: "svc-a"},
		{name: "typ client-authentication+jwt", form: form(own.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute), func(h map[string]any) { h["typ"] = "client-authentication+jwt" })), wantID: "svc-a"},
		{name: "matching client_id", form: form(own.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute), nil), "client_id", "svc-a"), wantID: "svc-a"},
		{name: "expired", form: form(own.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, -time.Minute), nil)), wantCode: oautherr.CodeInvalidClient},
		{name: "exp more than five minutes ahead", form: form(own.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, 10*time.Minute), nil)), wantCode: oautherr.CodeInvalidClient},
		{name: "wrong audience", form: form(own.sign(t, claimsFor("svc-a", "svc-a", "https://other.example/token", time.Minute), nil)), wantCode: oautherr.CodeInvalidClient},
		{name: "unsigned", form: form(unsigned), wantCode: oautherr.CodeInvalidClient},
		{name: "HS256 with the public key", form: form(hs256), wantCode: oautherr.CodeInvalidClient},
		{name: "another client's key", form: form(other.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute), nil)), wantCode: oautherr.CodeInvalidClient},
		{name: "signed by its key but naming another client", form: form(own.sign(t, claimsFor("svc-b", "svc-b", testTokenURL, time.Minute), nil)), wantCode: oautherr.CodeInvalidClient},
		{name: "iss differs from sub", form: form(own.sign(t, claimsFor("svc-b", "svc-a", testTokenURL, time.Minute), nil), "client_id", "svc-a"), wantCode: oautherr.CodeInvalidClient},
		{name: "client_id differs from sub", form: form(own.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute), nil), "client_id", "svc-b"), wantCode: oautherr.CodeInvalidClient},
		{name: "no jti", form: form(own.sign(t, jwt.MapClaims{"iss": "svc-a", "sub": "svc-a", "aud": testTokenURL, "exp": assertionNow.Add(time.Minute).Unix()}, nil)), wantCode: oautherr.CodeInvalidClient},
		{name: "no exp", form: form(own.sign(t, jwt.MapClaims{"iss": "svc-a", "sub": "svc-a", "aud": testTokenURL, "jti": "x"}, nil)), wantCode: oautherr.CodeInvalidClient},
		{name: "an access token's type", form: form(own.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute), func(h map[string]any) { h["typ"] = "at+jwt" })), wantCode: oautherr.CodeInvalidClient},
		{name: "a DPoP proof's type", form: form(own.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute), func(h map[string]any) { h["typ"] = "dpop+jwt" })), wantCode: oautherr.CodeInvalidClient},
		{name: "crit header", form: form(own.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute), func(h map[string]any) { h["crit"] = []string{"exp"} })), wantCode: oautherr.CodeInvalidClient},
		{name: "a client with a secret", form: form(own.sign(t, claimsFor("secret", "secret", testTokenURL, time.Minute), nil)), wantCode: oautherr.CodeInvalidClient},
		{name: "unknown client", form: form(own.sign(t, claimsFor("nobody", "nobody", testTokenURL, time.Minute), nil)), wantCode: oautherr.CodeInvalidClient},
		{name: "not a JWT", form: form("not.a.jwt"), wantCode: oautherr.CodeInvalidClient},
		{name: "wrong assertion type", form: url.Values{"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:saml2-bearer"}, "client_assertion": {replayed}}, wantCode: oautherr.CodeInvalidClient},
		{name: "type without assertion", form: url.Values{"client_assertion_type": {AssertionType}}, wantCode: oautherr.CodeInvalidClient},
		{name: "assertion and Basic", form: form(replayed), header: basic("svc-a", "x"), wantCode: oautherr.CodeInvalidRequest},
		{name: "assertion and secret", form: form(replayed, "client_secret", "x"), wantCode: oautherr.CodeInvalidRequest},

		{name: "keys from the client's jwks_uri", form: form(workloadKey.sign(t, claimsFor("remote", "remote", testTokenURL, time.Minute), nil)), wantID: "remote"},
		{name: "jwks_uri, an unknown kid", form: form(workloadKey.sign(t, claimsFor("remote", "remote", testTokenURL, time.Minute), func(h map[string]any) { h["kid"] = "nope" })), wantCode: oautherr.CodeInvalidClient},
		{name: "jwks_uri, no kid", form: form(workloadKey.sign(t, claimsFor("remote", "remote", testTokenURL, time.Minute), func(h map[string]any) { delete(h, "kid") })), wantCode: oautherr.CodeInvalidClient},
		{name: "workload token", form: form(workload, "client_id", "checkout"), wantID: "checkout"},
		{name: "workload token again: reusable until it expires", form: form(workload, "client_id", "checkout"), wantID: "checkout"},
		{name: "workload token without client_id", form: form(workload), wantCode: oautherr.CodeInvalidClient},
		{name: "workload token for another subject", form: form(workloadKey.sign(t, claimsFor(platform.URL, "system:serviceaccount:shop:other", testIssuer, time.Hour), nil), "client_id", "checkout"), wantCode: oautherr.CodeInvalidClient},
		{name: "workload token of an untrusted issuer", form: form(workloadKey.sign(t, claimsFor("https://not-trusted.example", workloadSub, testIssuer, time.Hour), nil), "client_id", "untrusted"), wantCode: oautherr.CodeInvalidClient},
		{name: "workload token for another audience", form: form(workloadKey.sign(t, claimsFor(platform.URL, workloadSub, "kubernetes", time.Hour), nil), "client_id", "checkout"), wantCode: oautherr.CodeInvalidClient},
		{name: "workload token living two days", form: form(workloadKey.sign(t, claimsFor(platform.URL, workloadSub, testIssuer, 48*time.Hour), nil), "client_id", "checkout"), wantCode: oautherr.CodeInvalidClient},
		{name: "workload token expired", form: form(workloadKey.sign(t, claimsFor(platform.URL, workloadSub, testIssuer, -time.Hour), nil), "client_id", "checkout"), wantCode: oautherr.CodeInvalidClient},
		{name: "workload token signed by another key", form: form(newKeyPair(t, "platform-1", "ES256").sign(t, claimsFor(platform.URL, workloadSub, testIssuer, time.Hour), nil), "client_id", "checkout"), wantCode: oautherr.CodeInvalidClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/token", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			c, err := auth.Authenticate(context.Background(), r, tt.form, true)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if c.ID != tt.wantID {
					t.Fatalf("client = %q, want %q", c.ID, tt.wantID)
				}
				return
			}
			var e *oautherr.Error
			if !errors.As(err, &e) || e.Code != tt.wantCode {
				t.Fatalf("err = %v, want %s", err, tt.wantCode)
			}
			if a := tt.form.Get("client_assertion"); a != "" && strings.Contains(e.Error(), a) {
				t.Fatal("error repeats the assertion")
			}
		})
	}
	t.Run("store down", func(t *testing.T) {
		st.fail = true
		defer func() { st.fail = false }()
		f := form(own.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute), nil))
		_, err := auth.Authenticate(context.Background(), httptest.NewRequest("POST", "/token", nil), f, true)
		if oautherr.From(err).Code != oautherr.CodeTemporarilyUnavailable {
			t.Fatalf("err = %v, want temporarily_unavailable", err)
		}
	})
	t.Run("without assertion support", func(t *testing.T) {
		f := form(own.sign(t, claimsFor("svc-a", "svc-a", testTokenURL, time.Minute), nil))
		_, err := New(clients, nil, nil).Authenticate(context.Background(), httptest.NewRequest("POST", "/token", nil), f, true)
		if oautherr.From(err).Code != oautherr.CodeInvalidClient {
			t.Fatalf("err = %v, want invalid_client", err)
		}
	})
}

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// FuzzParseAssertion: any client assertion either parses into one with
// iss, sub, aud and exp, or is an invalid_client that does not repeat it;
// never a panic.
func FuzzParseAssertion(f *testing.F) {
	k := newKeyPair(f, "k1", "EdDSA")
	f.Add(k.sign(f, claimsFor("svc", "svc", testTokenURL, time.Minute), nil))
	f.Add(k.sign(f, jwt.MapClaims{"iss": "svc", "sub": "svc", "aud": []string{"a", "b"}, "exp": "1"}, nil))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		a, err := parseAssertion(token)
		if err != nil {
			var e *oautherr.Error
			if !errors.As(err, &e) || e.Code != oautherr.CodeInvalidClient {
				t.Fatalf("error %v is not invalid_client", err)
			}
			if len(token) > 8 && strings.Contains(e.Error(), token) {
				t.Fatal("error repeats the assertion")
			}
			return
		}
		if a.issuer == "" || a.subject == "" || len(a.audience) == 0 || a.exp.IsZero() {
			t.Fatalf("parsed without a required claim: %+v", a)
		}
	})
}
