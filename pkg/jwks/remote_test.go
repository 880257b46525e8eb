package jwks

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testKeys are generated once per test binary: RSA generation is slow.
var testKeys = sync.OnceValue(func() (k struct {
	rsa, rsa1024 *rsa.PrivateKey
	p256, p384   *ecdsa.PrivateKey
	ed           ed25519.PrivateKey
}) {
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.rsa1024, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
		panic(err)
	}
	if k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		panic(err)
	}
	if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
		panic(err)
	}
	return k
})

func mustJWK(t testing.TB, kid, alg string, pub crypto.PublicKey) Key {
	t.Helper()
	k, err := FromPublicKey(kid, alg, pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// goodSet is a key set with one key of each kind.
func goodSet(t testing.TB) []any {
	k := testKeys()
	return []any{
		mustJWK(t, "rsa", "RS256", &k.rsa.PublicKey),
		mustJWK(t, "ec", "ES256", &k.p256.PublicKey),
		mustJWK(t, "ed", "EdDSA", k.ed.Public()),
	}
}

func setJSON(t testing.TB, keys ...any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// jwksServer serves a key set that tests change at will, and counts hits.
type jwksServer struct {
	*httptest.Server
	hits    atomic.Int64
	hit     chan struct{} // receives one value per request, if not full
	release chan struct{} // closed at cleanup, to free blocked handlers

	mu      sync.Mutex
	handler http.HandlerFunc
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{hit: make(chan struct{}, 1000), release: make(chan struct{})}
	s.Serve(okJSON(body, "max-age=300"))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		select {
		case s.hit <- struct{}{}:
		default:
		}
		s.mu.Lock()
		h := s.handler
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(s.release) }) // runs before s.Close
	return s
}

func (s *jwksServer) Serve(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = h
}

// block is a handler that never answers (until the test ends).
func (s *jwksServer) block(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.release:
	}
}

func okJSON(body []byte, cacheControl string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		_, _ = w.Write(body)
	}
}

// testLogger logs to the test's output while the test runs; fetches that
// outlive the test (their caller gave up) log nowhere.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func newTestRemote(t *testing.T, opts RemoteOptions) *Remote {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	r, err := NewRemote(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRemoteLoadsEachKeyType(t *testing.T) {
	srv := newJWKSServer(t, setJSON(t, goodSet(t)...))
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: newFakeClock().Now})
	if r.Ready() {
		t.Fatal("Ready before any fetch")
	}
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !r.Ready() {
		t.Fatal("not Ready after a good fetch")
	}
	k := testKeys()
	tests := []struct {
		kid, alg string
		want     crypto.PublicKey
	}{
		{"rsa", "RS256", &k.rsa.PublicKey},
		{"ec", "ES256", &k.p256.PublicKey},
		{"ed", "EdDSA", k.ed.Public()},
	}
	for _, tt := range tests {
		t.Run(tt.kid, func(t *testing.T) {
			got, err := r.Key(t.Context(), tt.kid)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tt.kid || got.Algorithm != tt.alg {
				t.Errorf("got kid %q alg %q, want %q %q", got.ID, got.Algorithm, tt.kid, tt.alg)
			}
			eq, ok := got.Key.(interface{ Equal(crypto.PublicKey) bool })
			if !ok || !eq.Equal(tt.want) {
				t.Errorf("key %T does not equal the published one", got.Key)
			}
		})
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("cached lookups made %d fetches in all, want 1", n)
	}
}

func TestRemoteUsesOnlyFitKeys(t *testing.T) {
	k := testKeys()
	rsaJWK := mustJWK(t, "x", "RS256", &k.rsa.PublicKey)
	p256 := mustJWK(t, "x", "ES256", &k.p256.PublicKey)
	p384 := mustJWK(t, "x", "ES384", &k.p384.PublicKey)
	ed := mustJWK(t, "x", "EdDSA", k.ed.Public())
	with := func(k Key, f func(*Key)) Key { f(&k); return k }
	withMembers := func(k Key, extra map[string]any) map[string]any {
		b, _ := json.Marshal(k)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		for n, v := range extra {
			m[n] = v
		}
		return m
	}
	tests := []struct {
		name string
		key  any
		use  bool
	}{
		{"RS256", rsaJWK, true},
		{"RS512", with(rsaJWK, func(k *Key) { k.Alg = "RS512" }), true},
		{"PS256", with(rsaJWK, func(k *Key) { k.Alg = "PS256" }), true},
		{"ES256", p256, true},
		{"ES384", p384, true},
		{"EdDSA", ed, true},
		{"use absent", with(rsaJWK, func(k *Key) { k.Use = "" }), true},
		{"key_ops verify", withMembers(rsaJWK, map[string]any{"key_ops": []string{"verify"}}), true},

		{"use enc", with(rsaJWK, func(k *Key) { k.Use = "enc" }), false},
		{"key_ops encrypt", withMembers(rsaJWK, map[string]any{"key_ops": []string{"encrypt"}}), false},
		{"alg absent", with(rsaJWK, func(k *Key) { k.Alg = "" }), false},
		{"alg none", with(rsaJWK, func(k *Key) { k.Alg = "none" }), false},
		{"alg HS256", with(rsaJWK, func(k *Key) { k.Alg = "HS256" }), false},
		{"alg RSA-OAEP", with(rsaJWK, func(k *Key) { k.Alg = "RSA-OAEP" }), false},
		{"alg lowercase", with(rsaJWK, func(k *Key) { k.Alg = "rs256" }), false},
		{"RS256 on EC key", with(p256, func(k *Key) { k.Alg = "RS256" }), false},
		{"ES256 on RSA key", with(rsaJWK, func(k *Key) { k.Alg = "ES256" }), false},
		{"ES256 on P-384", with(p384, func(k *Key) { k.Alg = "ES256" }), false},
		{"ES384 on P-256", with(p256, func(k *Key) { k.Alg = "ES384" }), false},
		{"EdDSA on EC key", with(p256, func(k *Key) { k.Alg = "EdDSA" }), false},
		{"kid absent", with(rsaJWK, func(k *Key) { k.Kid = "" }), false},
		{"malformed modulus", with(rsaJWK, func(k *Key) { k.N = "!!" }), false},
		{"EC point off curve", with(p256, func(k *Key) { k.Y = k.X }), false},
		{"RSA private d", withMembers(rsaJWK, map[string]any{"d": "AQAB"}), false},
		{"EC private d", withMembers(p256, map[string]any{"d": "AQAB"}), false},
		{"OKP private d", withMembers(ed, map[string]any{"d": "AQAB"}), false},
		{"symmetric oct", map[string]any{"kty": "oct", "kid": "x", "alg": "HS256", "k": "c2VjcmV0"}, false},
		{"not an object", "x", false},
		{"kid not a string", withMembers(rsaJWK, map[string]any{"kid": 7}), false},
		{"RSA 1024 bits", mustJWK(t, "x", "RS256", &k.rsa1024.PublicKey), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			anchor := mustJWK(t, "anchor", "EdDSA", k.ed.Public())
			srv := newJWKSServer(t, setJSON(t, anchor, tt.key))
			r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: newFakeClock().Now})
			if err := r.Refresh(t.Context()); err != nil {
				t.Fatal(err)
			}
			_, err := r.Key(t.Context(), "x")
			if tt.use && err != nil {
				t.Errorf("fit key refused: %v", err)
			}
			if !tt.use && !errors.Is(err, ErrUnknownKey) {
				t.Errorf("unfit key: err = %v, want ErrUnknownKey", err)
			}
			if _, err := r.Key(t.Context(), "anchor"); err != nil {
				t.Errorf("the good key next to it was refused: %v", err)
			}
		})
	}
}

func TestRemoteDuplicateKidKeepsFirst(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, setJSON(t,
		mustJWK(t, "dup", "ES256", &k.p256.PublicKey),
		mustJWK(t, "dup", "EdDSA", k.ed.Public()),
	))
	r := newTestRemote(t, RemoteOptions{URL: srv.URL})
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := r.Key(t.Context(), "dup")
	if err != nil {
		t.Fatal(err)
	}
	if got.Algorithm != "ES256" {
		t.Errorf("alg = %q, want the first key's ES256", got.Algorithm)
	}
}

func TestRemoteSurvivesBadAnswers(t *testing.T) {
	k := testKeys()
	other := httptest.NewServer(okJSON(setJSON(t, mustJWK(t, "evil", "EdDSA", k.ed.Public())), ""))
	t.Cleanup(other.Close)
	huge := bytes.Repeat([]byte(" "), 2<<20)
	tests := []struct {
		name    string
		handler func(s *jwksServer) http.HandlerFunc
		want    error
	}{
		{"500", func(*jwksServer) http.HandlerFunc {
			return func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) }
		}, ErrFetch},
		{"503", func(*jwksServer) http.HandlerFunc {
			return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }
		}, ErrFetch},
		{"404", func(*jwksServer) http.HandlerFunc { return http.NotFound }, ErrFetch},
		{"huge with length", func(*jwksServer) http.HandlerFunc {
			return func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(len(huge)))
				_, _ = w.Write(huge)
			}
		}, ErrFetch},
		{"huge chunked", func(*jwksServer) http.HandlerFunc {
			return func(w http.ResponseWriter, _ *http.Request) {
				_, _ = w.Write([]byte(`{"keys":[`))
				w.(http.Flusher).Flush() // no Content-Length
				for range 3 {
					_, _ = w.Write(huge[:1<<20])
				}
			}
		}, ErrFetch},
		// A key set that never comes: callers are bounded by their context
		// (and by the HTTP timeout, see TestRemoteUnknownKidDoesNotHang).
		{"slow", func(s *jwksServer) http.HandlerFunc { return s.block }, context.DeadlineExceeded},
		{"malformed JSON", func(*jwksServer) http.HandlerFunc { return okJSON([]byte(`{"keys":[`), "") }, ErrFetch},
		{"HTML", func(*jwksServer) http.HandlerFunc { return okJSON([]byte(`<html></html>`), "") }, ErrFetch},
		{"keys not a list", func(*jwksServer) http.HandlerFunc { return okJSON([]byte(`{"keys":{}}`), "") }, ErrFetch},
		{"null", func(*jwksServer) http.HandlerFunc { return okJSON([]byte(`null`), "") }, ErrNoUsableKeys},
		{"empty set", func(*jwksServer) http.HandlerFunc { return okJSON([]byte(`{"keys":[]}`), "") }, ErrNoUsableKeys},
		{"all invalid", func(*jwksServer) http.HandlerFunc {
			bad := mustJWK(t, "bad", "ES256", &k.p256.PublicKey)
			bad.Use = "enc"
			return okJSON(setJSON(t, bad, map[string]any{"kty": "oct", "k": "c2VjcmV0", "alg": "HS256", "kid": "h"}), "")
		}, ErrNoUsableKeys},
		{"redirect to another host", func(*jwksServer) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/jwks", http.StatusFound)
			}
		}, ErrFetch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newJWKSServer(t, setJSON(t, goodSet(t)...))
			clock := newFakeClock()
			r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: clock.Now})
			if err := r.Refresh(t.Context()); err != nil {
				t.Fatal(err)
			}
			srv.Serve(tt.handler(srv))

			ctx := t.Context()
			if tt.want == context.DeadlineExceeded {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
			}
			if err := r.Refresh(ctx); !errors.Is(err, tt.want) {
				t.Errorf("Refresh: err = %v, want %v", err, tt.want)
			}
			clock.Add(time.Hour) // past the cooldown: an unknown kid fetches again
			// A set was fetched, without the key: unknown. No set could
			// be had: unavailable, never unknown.
			want := ErrUnavailable
			if tt.want == ErrNoUsableKeys {
				want = ErrUnknownKey
			}
			_, err := r.Key(ctx, "evil")
			if !errors.Is(err, want) || !errors.Is(err, tt.want) || (want == ErrUnavailable && errors.Is(err, ErrUnknownKey)) {
				t.Errorf("Key(unknown): err = %v, want %v wrapping %v", err, want, tt.want)
			}
			if !r.Ready() {
				t.Error("no longer Ready")
			}
			for _, kid := range []string{"rsa", "ec", "ed"} {
				if _, err := r.Key(t.Context(), kid); err != nil {
					t.Errorf("last good key %q lost: %v", kid, err)
				}
			}
		})
	}
}

func TestRemoteFollowsSameHostRedirect(t *testing.T) {
	srv := newJWKSServer(t, nil)
	body := setJSON(t, goodSet(t)...)
	srv.Serve(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/moved" {
			http.Redirect(w, r, "/moved", http.StatusMovedPermanently)
			return
		}
		okJSON(body, "")(w, r)
	})
	r := newTestRemote(t, RemoteOptions{URL: srv.URL + "/jwks"})
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Key(t.Context(), "ed"); err != nil {
		t.Fatal(err)
	}
}

func TestRemoteRefusesKeyWhosePrivatePartIsPublished(t *testing.T) {
	k := testKeys()
	good := mustJWK(t, "a", "ES256", &k.p256.PublicKey)
	srv := newJWKSServer(t, setJSON(t, good))
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: newFakeClock().Now})
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Key(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(good)
	leaked := strings.Replace(string(b), `"kty"`, `"d":"c2VjcmV0","kty"`, 1)
	srv.Serve(okJSON([]byte(`{"keys":[`+leaked+`]}`), ""))
	if err := r.Refresh(t.Context()); !errors.Is(err, ErrNoUsableKeys) {
		t.Fatalf("Refresh: err = %v, want ErrNoUsableKeys", err)
	}
	if _, err := r.Key(t.Context(), "a"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("compromised key still in use: err = %v", err)
	}
}

func TestRemoteUnknownKidFetchesOncePerCooldown(t *testing.T) {
	srv := newJWKSServer(t, setJSON(t, goodSet(t)...))
	clock := newFakeClock()
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: clock.Now, Cooldown: time.Minute})
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	base := srv.hits.Load()

	const callers = 1000
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Go(func() {
			_, err := r.Key(t.Context(), fmt.Sprintf("forged-%d", i))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("err = %v, want ErrUnknownKey", err)
		}
	}
	if n := srv.hits.Load() - base; n != 1 {
		t.Fatalf("%d concurrent unknown kids made %d fetches, want 1", callers, n)
	}

	clock.Add(59 * time.Second)
	if _, err := r.Key(t.Context(), "forged"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v", err)
	}
	if n := srv.hits.Load() - base; n != 1 {
		t.Fatalf("a fetch within the cooldown: %d fetches, want 1", n)
	}
	if _, err := r.Key(t.Context(), "rsa"); err != nil {
		t.Fatalf("cached key refused during the cooldown: %v", err)
	}

	clock.Add(time.Second)
	if _, err := r.Key(t.Context(), "forged"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v", err)
	}
	if n := srv.hits.Load() - base; n != 2 {
		t.Fatalf("after the cooldown: %d fetches, want 2", n)
	}
}

func TestRemoteUnknownKidPicksUpRotatedKey(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, setJSON(t, mustJWK(t, "old", "ES256", &k.p256.PublicKey)))
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: newFakeClock().Now})
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.Serve(okJSON(setJSON(t, mustJWK(t, "new", "EdDSA", k.ed.Public())), ""))
	// The refresh that just happened does not delay a fetch triggered by an
	// unknown kid.
	got, err := r.Key(t.Context(), "new")
	if err != nil {
		t.Fatalf("rotated key not fetched: %v", err)
	}
	if got.Algorithm != "EdDSA" {
		t.Errorf("alg = %q", got.Algorithm)
	}
	srv.Serve(okJSON(setJSON(t, mustJWK(t, "newer", "ES384", &k.p384.PublicKey)), ""))
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Key(t.Context(), "old"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("a key removed from the set is still trusted: %v", err)
	}
}

func TestRemoteUnknownKidDoesNotHang(t *testing.T) {
	t.Run("bounded by the context", func(t *testing.T) {
		srv := newJWKSServer(t, nil)
		srv.Serve(srv.block)
		r := newTestRemote(t, RemoteOptions{URL: srv.URL})
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := r.Key(ctx, "any")
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrUnknownKey) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want ErrUnavailable and DeadlineExceeded", err)
		}
	})
	t.Run("bounded by the HTTP timeout", func(t *testing.T) {
		srv := newJWKSServer(t, nil)
		srv.Serve(srv.block)
		r := newTestRemote(t, RemoteOptions{URL: srv.URL, HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
		_, err := r.Key(context.Background(), "any")
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrUnknownKey) || !errors.Is(err, ErrFetch) {
			t.Errorf("err = %v, want ErrUnavailable and ErrFetch", err)
		}
	})
}

func TestRemoteServerDownKeepsCachedKeys(t *testing.T) {
	srv := newJWKSServer(t, setJSON(t, goodSet(t)...))
	clock := newFakeClock()
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: clock.Now})
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	if err := r.Refresh(t.Context()); !errors.Is(err, ErrFetch) {
		t.Errorf("Refresh with the server down: err = %v, want ErrFetch", err)
	}
	for _, kid := range []string{"rsa", "ec", "ed"} {
		if _, err := r.Key(t.Context(), kid); err != nil {
			t.Errorf("cached key %q refused: %v", kid, err)
		}
	}
	if _, err := r.Key(t.Context(), "unknown"); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrUnknownKey) || !errors.Is(err, ErrFetch) {
		t.Errorf("unknown kid: err = %v, want ErrUnavailable wrapping ErrFetch", err)
	}
}

func TestRemoteDiscovery(t *testing.T) {
	jwksBody := setJSON(t, goodSet(t)...)
	type metadata struct{ issuer, jwksURI string }
	tests := []struct {
		name       string
		issuerPath string
		metaPath   string // where the server publishes the metadata
		md         func(base string) metadata
		wantErr    bool
	}{
		{"issuer without path", "", MetadataPath,
			func(base string) metadata { return metadata{base, base + "/jwks"} }, false},
		{"issuer with path, RFC 8414 placement", "/tenant", MetadataPath + "/tenant",
			func(base string) metadata { return metadata{base + "/tenant", base + "/jwks"} }, false},
		{"issuer with path, appended placement", "/tenant", "/tenant" + MetadataPath,
			func(base string) metadata { return metadata{base + "/tenant", base + "/jwks"} }, false},
		{"issuer mismatch", "", MetadataPath,
			func(base string) metadata { return metadata{"https://evil.example", base + "/jwks"} }, true},
		{"issuer with trailing slash", "", MetadataPath,
			func(base string) metadata { return metadata{base + "/", base + "/jwks"} }, true},
		{"no jwks_uri", "", MetadataPath,
			func(base string) metadata { return metadata{base, ""} }, true},
		{"relative jwks_uri", "", MetadataPath,
			func(base string) metadata { return metadata{base, "/jwks"} }, true},
		{"no metadata", "", "/elsewhere",
			func(base string) metadata { return metadata{base, base + "/jwks"} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var metaHits atomic.Int64
			mux := http.NewServeMux()
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			md := tt.md(srv.URL)
			mux.HandleFunc("GET "+tt.metaPath, func(w http.ResponseWriter, r *http.Request) {
				metaHits.Add(1)
				_ = json.NewEncoder(w).Encode(map[string]string{"issuer": md.issuer, "jwks_uri": md.jwksURI})
			})
			mux.HandleFunc("GET /jwks", okJSON(jwksBody, ""))
			r := newTestRemote(t, RemoteOptions{Issuer: srv.URL + tt.issuerPath})
			err := r.Refresh(t.Context())
			if tt.wantErr {
				if !errors.Is(err, ErrFetch) {
					t.Fatalf("err = %v, want ErrFetch", err)
				}
				if r.Ready() {
					t.Fatal("Ready after a failed discovery")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Refresh(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Key(t.Context(), "ed"); err != nil {
				t.Fatal(err)
			}
			if n := metaHits.Load(); n != 1 {
				t.Errorf("metadata fetched %d times, want once", n)
			}
		})
	}
}

func TestRefreshInterval(t *testing.T) {
	const lo, hi = time.Minute, time.Hour
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"absent", http.Header{}, hi},
		{"max-age", http.Header{"Cache-Control": {"public, max-age=300"}}, 5 * time.Minute},
		{"quoted and spaced", http.Header{"Cache-Control": {`public , Max-Age = "600"`}}, 10 * time.Minute},
		{"below floor", http.Header{"Cache-Control": {"max-age=5"}}, lo},
		{"above ceiling", http.Header{"Cache-Control": {"max-age=86400"}}, hi},
		{"huge", http.Header{"Cache-Control": {"max-age=99999999999999999"}}, hi},
		{"no-cache", http.Header{"Cache-Control": {"no-cache, max-age=600"}}, lo},
		{"no-store", http.Header{"Cache-Control": {"no-store"}}, lo},
		{"Age subtracted", http.Header{"Cache-Control": {"max-age=1800"}, "Age": {"600"}}, 20 * time.Minute},
		{"Age beyond max-age", http.Header{"Cache-Control": {"max-age=1800"}, "Age": {"3600"}}, lo},
		{"invalid", http.Header{"Cache-Control": {"max-age=soon"}}, hi},
		{"negative", http.Header{"Cache-Control": {"max-age=-5"}}, hi},
		{"second header", http.Header{"Cache-Control": {"public", "max-age=120"}}, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := refreshInterval(tt.header, lo, hi); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRemoteBackoff(t *testing.T) {
	r := newTestRemote(t, RemoteOptions{URL: "http://127.0.0.1/jwks", MinRefresh: time.Minute})
	for failures, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		16 * time.Second, 32 * time.Second, time.Minute, time.Minute} {
		got := r.backoff(failures)
		if got > want || got < want*4/5 {
			t.Errorf("backoff(%d) = %s, want within 20%% below %s", failures, got, want)
		}
	}
}

// waitHits waits for n more requests to srv.
func waitHits(t *testing.T, srv *jwksServer, n int) {
	t.Helper()
	for range n {
		select {
		case <-srv.hit:
		case <-time.After(30 * time.Second):
			t.Fatalf("the server saw %d requests in all; expected more", srv.hits.Load())
		}
	}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRemoteRunRefreshesAndStops(t *testing.T) {
	srv := newJWKSServer(t, nil)
	srv.Serve(okJSON(setJSON(t, goodSet(t)...), "max-age=0"))
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, MinRefresh: time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		r.Run(ctx)
		close(done)
	}()
	waitHits(t, srv, 3) // max-age=0 is floored at MinRefresh: Run keeps refreshing
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !r.Ready() {
		t.Error("not Ready after Run fetched good sets")
	}
}

func TestRemoteRunRetriesAfterFailures(t *testing.T) {
	srv := newJWKSServer(t, nil)
	good := okJSON(setJSON(t, goodSet(t)...), "max-age=3600")
	var n atomic.Int64
	srv.Serve(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		good(w, r)
	})
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, MinRefresh: time.Millisecond, MaxRefresh: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go r.Run(ctx)
	waitHits(t, srv, 3)
	// The third answer is good; installing it follows the request.
	eventually(t, r.Ready)
	if _, err := r.Key(t.Context(), "rsa"); err != nil {
		t.Fatal(err)
	}
}

func TestNewRemoteValidates(t *testing.T) {
	tests := []struct {
		name string
		opts RemoteOptions
	}{
		{"neither URL nor issuer", RemoteOptions{}},
		{"relative URL", RemoteOptions{URL: "/jwks"}},
		{"ftp URL", RemoteOptions{URL: "ftp://example.com/jwks"}},
		{"URL with credentials", RemoteOptions{URL: "https://u:p@example.com/jwks"}},
		{"issuer not a URL", RemoteOptions{Issuer: "example.com"}},
		{"negative cooldown", RemoteOptions{URL: "https://example.com/jwks", Cooldown: -1}},
		{"negative max bytes", RemoteOptions{URL: "https://example.com/jwks", MaxBytes: -1}},
		{"floor above ceiling", RemoteOptions{URL: "https://example.com/jwks", MinRefresh: time.Hour, MaxRefresh: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewRemote(tt.opts); err == nil {
				t.Error("accepted")
			}
		})
	}
	if _, err := NewRemote(RemoteOptions{Issuer: "http://localhost:9096"}); err != nil {
		t.Errorf("issuer only: %v", err)
	}
}

func TestRemoteDoesNotAlterCallersClient(t *testing.T) {
	c := &http.Client{Timeout: time.Second}
	if _, err := NewRemote(RemoteOptions{URL: "https://example.com/jwks", HTTPClient: c}); err != nil {
		t.Fatal(err)
	}
	if c.CheckRedirect != nil {
		t.Error("NewRemote changed the caller's http.Client")
	}
}
