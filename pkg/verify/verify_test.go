package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/jwks"
)

const (
	issuer   = "http://localhost:9096"
	audience = "search-api"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func clock() time.Time { return now }

// keys are generated once per test binary: RSA generation is slow.
var keys = sync.OnceValue(func() (k struct {
	rsa             *rsa.PrivateKey
	p256, p384      *ecdsa.PrivateKey
	ed, edStranger  ed25519.PrivateKey
	p256Stranger    *ecdsa.PrivateKey
	rsaPublicKeyPEM []byte
}) {
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.p256Stranger, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		panic(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
	if _, k.edStranger, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		panic(err)
	}
	k.rsaPublicKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return k
})

// fakeKeys is a KeySource backed by a map.
type fakeKeys struct {
	keys  map[string]jwks.PublicKey
	calls atomic.Int64
}

var _ KeySource = (*fakeKeys)(nil)

func (f *fakeKeys) Key(_ context.Context, kid string) (jwks.PublicKey, error) {
	f.calls.Add(1)
	k, ok := f.keys[kid]
	if !ok {
		return jwks.PublicKey{}, fmt.Errorf("%w %q", jwks.ErrUnknownKey, kid)
	}
	return k, nil
}

func newFakeKeys() *fakeKeys {
	k := keys()
	return &fakeKeys{keys: map[string]jwks.PublicKey{
		"rsa":   {ID: "rsa", Algorithm: "RS256", Key: &k.rsa.PublicKey},
		"ps":    {ID: "ps", Algorithm: "PS256", Key: &k.rsa.PublicKey},
		"ec":    {ID: "ec", Algorithm: "ES256", Key: &k.p256.PublicKey},
		"ec384": {ID: "ec384", Algorithm: "ES384", Key: &k.p384.PublicKey},
		"ed":    {ID: "ed", Algorithm: "EdDSA", Key: k.ed.Public()},
		// A key source that lies: an RSA key labelled ES256.
		"liar": {ID: "liar", Algorithm: "ES256", Key: &k.rsa.PublicKey},
	}}
}

func newVerifier(t testing.TB, ks KeySource, opts Options) *Verifier {
	t.Helper()
	if opts.Issuer == "" {
		opts.Issuer = issuer
	}
	if opts.Audience == "" {
		opts.Audience = audience
	}
	if opts.Now == nil {
		opts.Now = clock
	}
	v, err := New(ks, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// del marks a header or claim to be removed.
type del struct{}

// spec describes a token to sign: the defaults are a valid token.
type spec struct {
	alg    string
	key    any // signing key
	header map[string]any
	claims map[string]any
}

func defaultClaims() map[string]any {
	return map[string]any{
		"iss":       issuer,
		"sub":       "alice",
		"aud":       []string{audience},
		"exp":       now.Add(5 * time.Minute).Unix(),
		"iat":       now.Add(-time.Minute).Unix(),
		"jti":       "jti-1",
		"client_id": "web",
		"scope":     "search",
	}
}

func signKey(alg string) (kid string, key any) {
	k := keys()
	switch alg {
	case "RS256", "RS384":
		return "rsa", k.rsa
	case "PS256":
		return "ps", k.rsa
	case "ES256":
		return "ec", k.p256
	case "ES384":
		return "ec384", k.p384
	case "EdDSA":
		return "ed", k.ed
	}
	return "", nil // the spec brings its own key and kid
}

func sign(t testing.TB, s spec) string {
	t.Helper()
	if s.alg == "" {
		s.alg = "EdDSA"
	}
	kid, key := signKey(s.alg)
	if s.key != nil {
		key = s.key
	}
	c := defaultClaims()
	for n, v := range s.claims {
		if _, ok := v.(del); ok {
			delete(c, n)
		} else {
			c[n] = v
		}
	}
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(s.alg), jwt.MapClaims(c))
	tok.Header["typ"] = "at+jwt"
	tok.Header["kid"] = kid
	for n, v := range s.header {
		if _, ok := v.(del); ok {
			delete(tok.Header, n)
		} else {
			tok.Header[n] = v
		}
	}
	out, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func seg(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// sentinels are all the errors Verify may match.
var sentinels = []error{ErrMalformed, ErrTooLarge, ErrAlgorithm, ErrType, ErrUnknownKey, ErrKeysUnavailable, ErrSignature,
	ErrExpired, ErrNotYetValid, ErrIssuer, ErrAudience, ErrMissingClaim, ErrCritical, ErrLifetime}

// matching returns the sentinels err matches.
func matching(err error) []error {
	var out []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			out = append(out, s)
		}
	}
	return out
}

// TestVerify presents every token of verifyCases: each is accepted with
// its claims, or refused with exactly its sentinel, an error that does not
// echo the token, and no claims.
func TestVerify(t *testing.T) {
	valid := strings.Split(sign(t, spec{}), ".")
	for _, tt := range verifyCases() {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token(t, valid)
			v := newVerifier(t, newFakeKeys(), tt.opts)
			c, err := v.Verify(t.Context(), token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.Issuer != issuer || !c.HasAudience(audience) || c.Subject != "alice" || !c.HasScope("search") {
					t.Errorf("claims = %+v", c)
				}
				return
			}
			if c != nil {
				t.Errorf("claims returned with an error: %+v", c)
			}
			if got := matching(err); len(got) != 1 || got[0] != tt.want {
				t.Errorf("err = %v, matching %v; want exactly %v", err, got, tt.want)
			}
			if len(token) > 20 && strings.Contains(err.Error(), token[len(token)-20:]) {
				t.Errorf("error echoes the token: %v", err)
			}
		})
	}
}

func TestVerifyUnknownKeyWrapsJWKS(t *testing.T) {
	v := newVerifier(t, newFakeKeys(), Options{})
	_, err := v.Verify(t.Context(), sign(t, spec{header: map[string]any{"kid": "nope"}}))
	if !errors.Is(err, ErrUnknownKey) || !errors.Is(err, jwks.ErrUnknownKey) {
		t.Errorf("err = %v, want both ErrUnknownKey and jwks.ErrUnknownKey", err)
	}
}

func TestVerifyRefusesBeforeLookingUpKeys(t *testing.T) {
	// Tokens refused on their header cost no key lookup.
	ks := newFakeKeys()
	v := newVerifier(t, ks, Options{})
	for _, tok := range []string{
		sign(t, spec{alg: "PS256"}),
		sign(t, spec{header: map[string]any{"typ": "JWT"}}),
		sign(t, spec{header: map[string]any{"crit": []string{"x"}}}),
		strings.Repeat("a", DefaultMaxTokenSize+1),
	} {
		if _, err := v.Verify(t.Context(), tok); err == nil {
			t.Fatal("accepted")
		}
	}
	if n := ks.calls.Load(); n != 0 {
		t.Errorf("%d key lookups, want 0", n)
	}
}

func TestVerifyNeverFetchesHeaderURLs(t *testing.T) {
	k := keys()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		jwk, _ := jwks.FromPublicKey("attacker", "EdDSA", k.edStranger.Public())
		_ = json.NewEncoder(w).Encode(jwks.Set{Keys: []jwks.Key{jwk}})
	}))
	t.Cleanup(srv.Close)
	v := newVerifier(t, newFakeKeys(), Options{})
	for _, h := range []string{"jku", "x5u"} {
		t.Run(h, func(t *testing.T) {
			for _, kid := range []string{"attacker", "ed"} {
				tok := sign(t, spec{key: k.edStranger, header: map[string]any{"kid": kid, h: srv.URL}})
				if _, err := v.Verify(t.Context(), tok); err == nil {
					t.Fatal("a token signed by a key from its own header was accepted")
				}
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("header URLs fetched %d times", n)
	}
}

func TestVerifyWithRemoteKeySet(t *testing.T) {
	k := keys()
	var (
		mu  sync.Mutex
		set = jwks.Set{}
	)
	publish := func(kid, alg string, pub crypto.PublicKey) {
		jwk, err := jwks.FromPublicKey(kid, alg, pub)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		set.Keys = append(set.Keys, jwk)
	}
	publish("rsa", "RS256", &k.rsa.PublicKey)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Cache-Control", "max-age=300")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	remote, err := jwks.NewRemote(jwks.RemoteOptions{URL: srv.URL, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, remote, Options{})
	if _, err := v.Verify(t.Context(), sign(t, spec{alg: "RS256"})); err != nil {
		t.Fatal(err)
	}
	// Rotation: a token signed with a key published after the last refresh.
	publish("ed", "EdDSA", k.ed.Public())
	if _, err := v.Verify(t.Context(), sign(t, spec{alg: "EdDSA"})); err != nil {
		t.Fatalf("rotated key: %v", err)
	}
	// The JWKS server stopped: cached keys still verify.
	srv.Close()
	for _, alg := range []string{"RS256", "EdDSA"} {
		if _, err := v.Verify(t.Context(), sign(t, spec{alg: alg})); err != nil {
			t.Errorf("%s with the server down: %v", alg, err)
		}
	}
	// A key the set fetched moments ago lacked is unknown, server down or
	// not, until the cooldown ends.
	if _, err := v.Verify(t.Context(), sign(t, spec{alg: "ES256"})); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key with the server down: err = %v", err)
	}
}

// unavailableKeys is a KeySource whose key set cannot be fetched.
type unavailableKeys struct{ err error }

func (u unavailableKeys) Key(context.Context, string) (jwks.PublicKey, error) {
	return jwks.PublicKey{}, u.err
}

// TestVerifyKeysUnavailable: a key source that cannot tell whether the key
// exists makes the token unverifiable, not invalid: ErrKeysUnavailable, and
// never ErrUnknownKey, which would have its holder throw it away.
func TestVerifyKeysUnavailable(t *testing.T) {
	for name, err := range map[string]error{
		"key set unavailable":           fmt.Errorf("%w: fetch failed", jwks.ErrUnavailable),
		"unavailable, naming unknown":   fmt.Errorf("%w: %w", jwks.ErrUnavailable, jwks.ErrUnknownKey),
		"any error but an unknown key":  errors.New("connection refused"),
		"the request ended before keys": context.DeadlineExceeded,
	} {
		t.Run(name, func(t *testing.T) {
			v := newVerifier(t, unavailableKeys{err}, Options{})
			_, got := v.Verify(t.Context(), sign(t, spec{}))
			if m := matching(got); len(m) != 1 || m[0] != ErrKeysUnavailable {
				t.Fatalf("err = %v, matching %v; want exactly ErrKeysUnavailable", got, m)
			}
		})
	}
}

func TestVerifyConcurrent(t *testing.T) {
	v := newVerifier(t, newFakeKeys(), Options{})
	good := []string{sign(t, spec{alg: "RS256"}), sign(t, spec{alg: "ES256"}), sign(t, spec{alg: "EdDSA"})}
	bad := sign(t, spec{claims: map[string]any{"aud": "other"}})
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), good[i%len(good)]); err != nil {
				t.Error(err)
			}
			if _, err := v.Verify(context.Background(), bad); !errors.Is(err, ErrAudience) {
				t.Errorf("err = %v", err)
			}
		})
	}
	wg.Wait()
}

func TestNewValidates(t *testing.T) {
	ks := newFakeKeys()
	tests := []struct {
		name string
		keys KeySource
		opts Options
	}{
		{"nil keys", nil, Options{Issuer: issuer, Audience: audience}},
		{"no issuer", ks, Options{Audience: audience}},
		{"no audience", ks, Options{Issuer: issuer}},
		{"alg none", ks, Options{Issuer: issuer, Audience: audience, Algorithms: []string{"none"}}},
		{"alg HS256", ks, Options{Issuer: issuer, Audience: audience, Algorithms: []string{"RS256", "HS256"}}},
		{"alg unknown", ks, Options{Issuer: issuer, Audience: audience, Algorithms: []string{"XX1"}}},
		{"negative leeway", ks, Options{Issuer: issuer, Audience: audience, Leeway: -time.Second}},
		{"huge leeway", ks, Options{Issuer: issuer, Audience: audience, Leeway: time.Hour}},
		{"negative size", ks, Options{Issuer: issuer, Audience: audience, MaxTokenSize: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.keys, tt.opts); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestIsAccessTokenType(t *testing.T) {
	for typ, want := range map[string]bool{
		"at+jwt": true, "AT+JWT": true, "At+Jwt": true, "application/at+jwt": true, "APPLICATION/AT+JWT": true,
		"": false, "jwt": false, "JWT": false, "application/": false, "application/jwt": false,
		"application/application/at+jwt": false, "at+jwt ": false, " at+jwt": false, "x/at+jwt": false,
	} {
		if got := isAccessTokenType(typ); got != want {
			t.Errorf("isAccessTokenType(%q) = %v, want %v", typ, got, want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		f.Add(sign(f, spec{alg: alg}))
	}
	f.Add(sign(f, spec{claims: map[string]any{"aud": []any{audience, 1}}}))
	f.Add(sign(f, spec{header: map[string]any{"crit": []string{"b64"}}}))
	v := newVerifier(f, newFakeKeys(), Options{})
	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(context.Background(), token)
		if err != nil {
			if c != nil {
				t.Fatalf("claims returned with error %v", err)
			}
			if len(matching(err)) != 1 {
				t.Fatalf("error %v matches %v, want exactly one sentinel", err, matching(err))
			}
			return
		}
		if c.Issuer != issuer || !c.HasAudience(audience) || c.ExpiresAt == nil ||
			!now.Before(c.ExpiresAt.Add(DefaultLeeway)) || c.Subject == "" || c.ClientID == "" || c.ID == "" {
			t.Fatalf("accepted claims that do not hold: %+v", c)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	v := newVerifier(b, newFakeKeys(), Options{})
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			tok := sign(b, spec{alg: alg})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(context.Background(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("refused/alg none", func(b *testing.B) {
		tok := seg(map[string]any{"alg": "none", "typ": "at+jwt", "kid": "ed"}) + "." + seg(defaultClaims()) + "."
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(context.Background(), tok); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

// TestOtherAudiences: a resource server known by several identifiers (its
// name and its RFC 9728 resource URL) accepts a token for any one of them,
// and no other.
func TestOtherAudiences(t *testing.T) {
	v := newVerifier(t, newFakeKeys(), Options{OtherAudiences: []string{"https://api.example.com"}})
	for _, tc := range []struct {
		aud []string
		ok  bool
	}{
		{[]string{audience}, true},
		{[]string{"https://api.example.com"}, true},
		{[]string{"https://other.example.com", "https://api.example.com"}, true},
		{[]string{"https://other.example.com"}, false},
		{[]string{"https://api.example.com/"}, false},
	} {
		_, err := v.Verify(context.Background(), sign(t, spec{claims: map[string]any{"aud": tc.aud}}))
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrAudience)) {
			t.Errorf("aud %v: %v, want ok=%v", tc.aud, err, tc.ok)
		}
	}
}
