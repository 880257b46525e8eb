package signing_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestSignVerify(t *testing.T) {
	for _, alg := range signing.Algorithms() {
		t.Run(alg, func(t *testing.T) {
			clk := newClock(t0)
			ks := newMemStore()
			k := newKeyring(t, ks, clk, alg)
			want := accessToken(t0)
			token, err := k.Sign(want)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}

			h := header(t, token)
			wantHeader := map[string]any{"alg": alg, "typ": claims.TokenType, "kid": ks.ids()[0]}
			if !reflect.DeepEqual(h, wantHeader) {
				t.Fatalf("header = %v, want %v", h, wantHeader)
			}

			got, err := verifyWithJWKS(k.JWKS(), token, alg, t0)
			if err != nil {
				t.Fatalf("verify with JWKS: %v", err)
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(want)
			if !bytes.Equal(gotJSON, wantJSON) {
				t.Fatalf("claims = %s, want %s", gotJSON, wantJSON)
			}
			if err := verifyWithKeyfunc(k, token); err != nil {
				t.Fatalf("verify with Keyfunc: %v", err)
			}

			// The check can fail: a changed payload does not verify.
			parts := strings.Split(token, ".")
			forged, err := k.Sign(&claims.AccessToken{Subject: "admin"})
			if err != nil {
				t.Fatal(err)
			}
			tampered := parts[0] + "." + strings.Split(forged, ".")[1] + "." + parts[2]
			if _, err := verifyWithJWKS(k.JWKS(), tampered, alg, t0); !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
				t.Fatalf("tampered token: err = %v, want ErrTokenSignatureInvalid", err)
			}
			if err := verifyWithKeyfunc(k, tampered); !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
				t.Fatalf("tampered token with Keyfunc: err = %v, want ErrTokenSignatureInvalid", err)
			}
		})
	}
}

func TestLoadEmptyStoreGeneratesOneKey(t *testing.T) {
	tests := []struct {
		alg     string
		wantAlg string
	}{
		{"", signing.RS256},
		{signing.RS256, signing.RS256},
		{signing.ES256, signing.ES256},
		{signing.EdDSA, signing.EdDSA},
	}
	for _, tt := range tests {
		t.Run("alg="+tt.alg, func(t *testing.T) {
			clk := newClock(t0)
			ks := newMemStore()
			k := newKeyring(t, ks, clk, tt.alg)
			keys := ks.all()
			if len(keys) != 1 {
				t.Fatalf("store has %d keys, want 1", len(keys))
			}
			got := keys[0]
			if got.Algorithm != tt.wantAlg || !got.CreatedAt.Equal(t0) || !got.ActivatesAt.Equal(t0) {
				t.Fatalf("generated key %s %s created %s activates %s; want %s at %s",
					got.ID, got.Algorithm, got.CreatedAt, got.ActivatesAt, tt.wantAlg, t0)
			}
			if kid := kidOf(t, mustSign(t, k, t0)); kid != got.ID {
				t.Fatalf("signed with %q, want %q", kid, got.ID)
			}

			clk.Set(t0.Add(time.Hour))
			if err := k.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			if ids := ks.ids(); !slices.Equal(ids, []string{got.ID}) {
				t.Fatalf("after reload the store has %v, want [%s]", ids, got.ID)
			}
			if kids := jwksKids(t, k.JWKS()); !slices.Equal(kids, []string{got.ID}) {
				t.Fatalf("JWKS kids = %v, want [%s]", kids, got.ID)
			}
		})
	}
}

func TestLoadBadAlgorithm(t *testing.T) {
	ks := newMemStore()
	k := signing.NewKeyring(ks, signing.Options{Algorithm: "HS256", Now: newClock(t0).Now})
	if err := k.Load(context.Background()); !errors.Is(err, signing.ErrUnsupportedAlgorithm) {
		t.Fatalf("Load = %v, want ErrUnsupportedAlgorithm", err)
	}
	if n := len(ks.ids()); n != 0 {
		t.Fatalf("store has %d keys, want 0", n)
	}
}

func TestRestartReusesKey(t *testing.T) {
	clk := newClock(t0)
	ks := newMemStore()
	before := newKeyring(t, ks, clk, signing.ES256)
	token := mustSign(t, before, t0)

	clk.Set(t0.Add(time.Minute))
	after := newKeyring(t, ks, clk, signing.EdDSA) // the algorithm only applies to an empty store
	if n := len(ks.ids()); n != 1 {
		t.Fatalf("store has %d keys after restart, want 1", n)
	}
	if err := verifyWithKeyfunc(after, token); err != nil {
		t.Fatalf("token signed before restart: %v", err)
	}
	if _, err := verifyWithJWKS(after.JWKS(), token, signing.ES256, clk.Now()); err != nil {
		t.Fatalf("token signed before restart, with JWKS: %v", err)
	}
	if got, want := kidOf(t, mustSign(t, after, clk.Now())), kidOf(t, token); got != want {
		t.Fatalf("signing with %q after restart, want %q", got, want)
	}
	if !bytes.Equal(before.JWKS(), after.JWKS()) {
		t.Fatalf("JWKS changed across restart:\n%s\n%s", before.JWKS(), after.JWKS())
	}
}

// A stored key is parsed once: a reload does not decode it again, so
// corrupting it after the first Load goes unnoticed by that keyring (and is
// caught by a new one).
func TestLoadParsesEachKeyOnce(t *testing.T) {
	clk := newClock(t0)
	ks := newMemStore()
	k := newKeyring(t, ks, clk, signing.ES256)
	orig := ks.all()[0]

	corrupt := orig
	corrupt.PrivateKey = []byte("not DER")
	ks.replace(corrupt)

	if err := k.Load(context.Background()); err != nil {
		t.Fatalf("reload re-parsed a known key: %v", err)
	}
	if kid := kidOf(t, mustSign(t, k, t0)); kid != orig.ID {
		t.Fatalf("signed with %q, want %q", kid, orig.ID)
	}
	fresh := signing.NewKeyring(ks, signing.Options{Now: clk.Now})
	if err := fresh.Load(context.Background()); err == nil {
		t.Fatal("a new keyring loaded a corrupt key")
	}
}

func TestLoadRejectsBadKeys(t *testing.T) {
	der := func(k any) []byte {
		b, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	es := fixture(t, signing.ES256, "x", t0)

	tests := []struct {
		name string
		alg  string
		der  []byte
	}{
		{"not DER", signing.ES256, []byte("garbage")},
		{"empty", signing.ES256, nil},
		{"RS256 label on EC key", signing.RS256, es.PrivateKey},
		{"ES256 label on Ed25519 key", signing.ES256, der(ed)},
		{"ES256 label on P-384 key", signing.ES256, der(p384)},
		{"EdDSA label on EC key", signing.EdDSA, es.PrivateKey},
		{"1024-bit RSA", signing.RS256, der(rsa1024)},
		{"HMAC algorithm", "HS256", es.PrivateKey},
		{"no algorithm", "", es.PrivateKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(t0)
			good := fixture(t, signing.EdDSA, "good", t0)
			ks := newMemStore(good)
			k := newKeyring(t, ks, clk, "")
			jwksBefore := k.JWKS()

			bad := store.SigningKey{ID: "bad", Algorithm: tt.alg, PrivateKey: tt.der, CreatedAt: t0, ActivatesAt: t0.Add(time.Minute)}
			if err := ks.CreateSigningKey(context.Background(), bad); err != nil {
				t.Fatal(err)
			}
			clk.Set(t0.Add(2 * time.Minute))
			err := k.Load(context.Background())
			if err == nil {
				t.Fatal("Load accepted the bad key")
			}
			if !strings.Contains(err.Error(), "bad") {
				t.Errorf("error %q does not name the key", err)
			}
			// The previous keys stay current.
			if kid := kidOf(t, mustSign(t, k, clk.Now())); kid != "good" {
				t.Fatalf("after a failed Load, signing with %q, want good", kid)
			}
			if !bytes.Equal(k.JWKS(), jwksBefore) {
				t.Fatalf("JWKS changed by a failed Load: %s", k.JWKS())
			}
		})
	}
}

func TestNotLoaded(t *testing.T) {
	k := signing.NewKeyring(newMemStore(), signing.Options{})
	if _, err := k.Sign(accessToken(t0)); !errors.Is(err, signing.ErrNoActiveKey) {
		t.Fatalf("Sign before Load: %v, want ErrNoActiveKey", err)
	}
	if got := string(k.JWKS()); got != `{"keys":[]}` {
		t.Fatalf("JWKS before Load = %s", got)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, accessToken(t0))
	tok.Header["kid"] = "any"
	if _, err := k.Keyfunc(tok); !errors.Is(err, signing.ErrUnknownKey) {
		t.Fatalf("Keyfunc before Load: %v, want ErrUnknownKey", err)
	}
}

// A key that activates between reloads signs on time: Sign consults the
// clock, not the last Load.
func TestFutureKeyActivatesWithoutReload(t *testing.T) {
	clk := newClock(t0)
	ks := newMemStore(fixture(t, signing.ES256, "future", t0.Add(time.Hour)))
	k := newKeyring(t, ks, clk, "")
	if n := len(ks.ids()); n != 1 {
		t.Fatalf("store has %d keys, want 1: Load must not add a key to a non-empty store", n)
	}
	if _, err := k.Sign(accessToken(t0)); !errors.Is(err, signing.ErrNoActiveKey) {
		t.Fatalf("Sign before activation: %v, want ErrNoActiveKey", err)
	}
	if kids := jwksKids(t, k.JWKS()); !slices.Equal(kids, []string{"future"}) {
		t.Fatalf("JWKS kids = %v, want [future]", kids)
	}
	clk.Set(t0.Add(time.Hour))
	if kid := kidOf(t, mustSign(t, k, clk.Now())); kid != "future" {
		t.Fatalf("signed with %q, want future", kid)
	}
}

func TestRotation(t *testing.T) {
	ctx := context.Background()
	clk := newClock(t0)
	ks := newMemStore()
	k := newKeyring(t, ks, clk, signing.RS256)
	a := ks.ids()[0]

	// Rotate an hour later to a new algorithm, activating 10 minutes on.
	t1 := t0.Add(time.Hour)
	clk.Set(t1)
	next, err := signing.Rotate(ctx, ks, signing.ES256, t1, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	b := next.ID
	if kids := jwksKids(t, k.JWKS()); !slices.Equal(kids, []string{a}) {
		t.Fatalf("before reload JWKS = %v, want [%s]", kids, a)
	}
	if err := k.Load(ctx); err != nil {
		t.Fatal(err)
	}
	// Published before it signs.
	if kids := jwksKids(t, k.JWKS()); !slices.Equal(kids, []string{a, b}) {
		t.Fatalf("after reload JWKS = %v, want [%s %s]", kids, a, b)
	}
	lastA := mustSign(t, k, t1)
	if kid := kidOf(t, lastA); kid != a {
		t.Fatalf("next key signs before activation: kid %q", kid)
	}

	// Activation, without a reload.
	t2 := t1.Add(10 * time.Minute)
	clk.Set(t2.Add(-time.Nanosecond))
	lastA = mustSign(t, k, clk.Now())
	if kid := kidOf(t, lastA); kid != a {
		t.Fatalf("signed with %q just before activation, want %s", kid, a)
	}
	clk.Set(t2)
	firstB := mustSign(t, k, t2)
	if h := header(t, firstB); h["kid"] != b || h["alg"] != signing.ES256 {
		t.Fatalf("after activation header = %v, want kid %s alg ES256", h, b)
	}
	if _, err := verifyWithJWKS(k.JWKS(), firstB, signing.ES256, t2); err != nil {
		t.Fatalf("first token of the new key: %v", err)
	}

	// The retired key verifies until the last token it signed has expired,
	// plus the leeway.
	unpublish := t2.Add(ttl + signing.PublishLeeway)
	clk.Set(unpublish.Add(-time.Nanosecond))
	if err := k.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if kids := jwksKids(t, k.JWKS()); !slices.Equal(kids, []string{a, b}) {
		t.Fatalf("just before unpublication JWKS = %v, want [%s %s]", kids, a, b)
	}
	if _, err := verifyWithJWKS(k.JWKS(), lastA, signing.RS256, t2.Add(ttl-time.Minute)); err != nil {
		t.Fatalf("last token of the retired key, before it expires: %v", err)
	}
	if err := verifyWithKeyfunc(k, lastA); err != nil {
		t.Fatalf("retired key with Keyfunc: %v", err)
	}

	// Then it is gone, from the JWKS and Keyfunc even before a reload,
	// and from the store after one.
	clk.Set(unpublish)
	if kids := jwksKids(t, k.JWKS()); !slices.Equal(kids, []string{b}) {
		t.Fatalf("after unpublication JWKS = %v, want [%s]", kids, b)
	}
	if err := verifyWithKeyfunc(k, lastA); !errors.Is(err, signing.ErrUnknownKey) {
		t.Fatalf("expired key with Keyfunc: %v, want ErrUnknownKey", err)
	}
	if got := slices.Sorted(slices.Values(ks.ids())); !slices.Contains(got, a) {
		t.Fatalf("store lost %s before a reload: %v", a, got)
	}
	if err := k.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := ks.ids(); !slices.Equal(ids, []string{b}) {
		t.Fatalf("after reload store has %v, want [%s]", ids, b)
	}
	if kids := jwksKids(t, k.JWKS()); !slices.Equal(kids, []string{b}) {
		t.Fatalf("after reload JWKS = %v, want [%s]", kids, b)
	}
	if kid := kidOf(t, mustSign(t, k, unpublish)); kid != b {
		t.Fatalf("signed with %q, want %s", kid, b)
	}
}

// Sign picks, at each instant, the key Describe reports as active.
func TestActiveKeySelection(t *testing.T) {
	keys := []store.SigningKey{
		fixture(t, signing.EdDSA, "c", t0.Add(3*time.Hour)),
		fixture(t, signing.RS256, "a", t0),
		fixture(t, signing.ES256, "b", t0.Add(2*time.Hour)),
		// Same activation as c, smaller ID: never active.
		fixture(t, signing.ES256, "b2", t0.Add(3*time.Hour)),
	}
	ks := newMemStore(keys...)
	clk := newClock(t0.Add(-time.Minute))
	k := signing.NewKeyring(ks, signing.Options{TokenTTL: 10 * time.Hour, Now: clk.Now})
	if err := k.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Time
		want string // "" for none
	}{
		{t0.Add(-time.Minute), ""},
		{t0, "a"},
		{t0.Add(2*time.Hour - time.Nanosecond), "a"},
		{t0.Add(2 * time.Hour), "b"},
		{t0.Add(3*time.Hour - time.Nanosecond), "b"},
		{t0.Add(3 * time.Hour), "c"},
		{t0.Add(100 * time.Hour), "c"},
	}
	for _, tt := range tests {
		t.Run(tt.at.Sub(t0).String(), func(t *testing.T) {
			clk.Set(tt.at)
			var active string
			for _, info := range signing.Describe(keys, tt.at, 10*time.Hour) {
				if info.State == signing.StateActive {
					active = info.ID
				}
			}
			if active != tt.want {
				t.Fatalf("Describe: active %q, want %q", active, tt.want)
			}
			tok, err := k.Sign(accessToken(tt.at))
			if tt.want == "" {
				if !errors.Is(err, signing.ErrNoActiveKey) {
					t.Fatalf("Sign = %v, want ErrNoActiveKey", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if kid := kidOf(t, tok); kid != tt.want {
				t.Fatalf("signed with %q, want %q", kid, tt.want)
			}
		})
	}
}

func TestKeyfuncRejects(t *testing.T) {
	clk := newClock(t0)
	ks := newMemStore(fixture(t, signing.RS256, "rsa", t0))
	k := newKeyring(t, ks, clk, "")
	otherEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	sign := func(m jwt.SigningMethod, kid any, key any) string {
		tok := jwt.NewWithClaims(m, accessToken(t0))
		if kid != nil {
			tok.Header["kid"] = kid
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := mustSign(t, k, t0)
	noKid := strings.Split(sign(jwt.SigningMethodHS256, nil, []byte("k")), ".")[0] + "." + strings.SplitN(good, ".", 2)[1]

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"no kid", noKid, signing.ErrUnknownKey},
		{"unknown kid", sign(jwt.SigningMethodES256, "other", otherEC), signing.ErrUnknownKey},
		{"kid not a string", sign(jwt.SigningMethodES256, 42, otherEC), signing.ErrUnknownKey},
		// Key confusion: an HMAC "signed" with the public key.
		{"HS256 with our kid", sign(jwt.SigningMethodHS256, "rsa", []byte("public key bytes")), signing.ErrAlgMismatch},
		{"ES256 with our RSA kid", sign(jwt.SigningMethodES256, "rsa", otherEC), signing.ErrAlgMismatch},
		{"alg none", sign(jwt.SigningMethodNone, "rsa", jwt.UnsafeAllowNoneSignatureType), signing.ErrAlgMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwt.Parse(tt.token, k.Keyfunc)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("own token", func(t *testing.T) {
		if _, err := jwt.Parse(good, k.Keyfunc, jwt.WithTimeFunc(clk.Now)); err != nil {
			t.Fatalf("Parse: %v", err)
		}
	})
}

func TestSignRejectsBadClaims(t *testing.T) {
	k := newKeyring(t, newMemStore(), newClock(t0), signing.EdDSA)
	if _, err := k.Sign(nil); err == nil {
		t.Fatal("Sign(nil) succeeded")
	}
	bad := jwt.MapClaims{"exp": func() {}}
	if _, err := k.Sign(bad); err == nil {
		t.Fatal("Sign of unencodable claims succeeded")
	}
}

func TestJWKSPublicOnly(t *testing.T) {
	ks := newMemStore(
		fixture(t, signing.RS256, "rs", t0),
		fixture(t, signing.ES256, "es", t0.Add(time.Minute)),
		fixture(t, signing.EdDSA, "ed", t0.Add(2*time.Minute)),
	)
	k := newKeyring(t, ks, newClock(t0.Add(time.Minute)), "")
	doc := k.JWKS()

	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 3 {
		t.Fatalf("JWKS has %d keys, want 3: %s", len(set.Keys), doc)
	}
	private := []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
	for _, key := range set.Keys {
		for _, f := range private {
			if _, ok := key[f]; ok {
				t.Errorf("key %v has private member %q", key["kid"], f)
			}
			if bytes.Contains(doc, []byte(`"`+f+`":`)) {
				t.Errorf("JWKS contains %q", f)
			}
		}
		if key["use"] != "sig" || key["kid"] == "" || key["alg"] == "" {
			t.Errorf("key %v lacks use=sig, kid or alg", key)
		}
	}
}

func TestJWKSGolden(t *testing.T) {
	ks := newMemStore(
		fixture(t, signing.RS256, "test-rs256", t0),
		fixture(t, signing.ES256, "test-es256", t0.Add(time.Hour)),
		fixture(t, signing.EdDSA, "test-eddsa", t0.Add(2*time.Hour)),
	)
	// RS256 retired, ES256 active, EdDSA next: all three published.
	k := newKeyring(t, ks, newClock(t0.Add(90*time.Minute)), "")
	var got bytes.Buffer
	if err := json.Indent(&got, k.JWKS(), "", "  "); err != nil {
		t.Fatal(err)
	}
	got.WriteByte('\n')

	path := filepath.Join("testdata", "jwks.golden.json")
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("JWKS differs from %s (run with -update to accept):\n%s", path, got.Bytes())
	}
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := newClock(t0)
	ks := newMemStore()
	var logs bytes.Buffer
	k := signing.NewKeyring(ks, signing.Options{
		ReloadInterval: time.Millisecond,
		TokenTTL:       ttl,
		Now:            clk.Now,
		Logger:         slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err := k.Load(ctx); err != nil {
		t.Fatal(err)
	}
	a := ks.ids()[0]

	lists := make(chan struct{})
	ks.setLists(lists)
	done := make(chan struct{})
	go func() {
		k.Run(ctx)
		close(done)
	}()
	// waitLoads returns once n more store listings have started: the
	// reload before the last one has then completed.
	waitLoads := func(n int) {
		for range n {
			<-lists
		}
	}

	// Another process rotates; Run picks the key up.
	clk.Set(t0.Add(time.Hour))
	b, err := signing.Rotate(ctx, ks, signing.EdDSA, clk.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	waitLoads(3)
	if kids := jwksKids(t, k.JWKS()); !slices.Equal(kids, []string{a, b.ID}) {
		t.Fatalf("JWKS after reloads = %v, want [%s %s]", kids, a, b.ID)
	}
	if kid := kidOf(t, mustSign(t, k, clk.Now())); kid != b.ID {
		t.Fatalf("signing with %q, want %s", kid, b.ID)
	}

	// The store fails; the keys stay.
	ks.setListErr(errors.New("database is locked"))
	waitLoads(3)
	if kids := jwksKids(t, k.JWKS()); !slices.Equal(kids, []string{a, b.ID}) {
		t.Fatalf("JWKS after failed reloads = %v, want [%s %s]", kids, a, b.ID)
	}
	if kid := kidOf(t, mustSign(t, k, clk.Now())); kid != b.ID {
		t.Fatalf("signing with %q after failed reloads, want %s", kid, b.ID)
	}

	cancel()
	for running := true; running; {
		select {
		case <-lists:
		case <-done:
			running = false
		}
	}
	out := logs.String()
	if !strings.Contains(out, "reloading keys failed") || !strings.Contains(out, "database is locked") {
		t.Fatalf("failure not logged:\n%s", out)
	}
	if strings.Contains(out, "PRIVATE") {
		t.Fatalf("log contains key material:\n%s", out)
	}
}

func TestGenerateKey(t *testing.T) {
	tests := []struct {
		alg     string
		wantErr error
		check   func(any) bool
	}{
		{signing.RS256, nil, func(k any) bool { r, ok := k.(*rsa.PrivateKey); return ok && r.N.BitLen() == 2048 }},
		{signing.ES256, nil, func(k any) bool { e, ok := k.(*ecdsa.PrivateKey); return ok && e.Curve == elliptic.P256() }},
		{signing.EdDSA, nil, func(k any) bool { _, ok := k.(ed25519.PrivateKey); return ok }},
		{"HS256", signing.ErrUnsupportedAlgorithm, nil},
		{"RS512", signing.ErrUnsupportedAlgorithm, nil},
		{"", signing.ErrUnsupportedAlgorithm, nil},
	}
	for _, tt := range tests {
		t.Run("alg="+tt.alg, func(t *testing.T) {
			activates := t0.Add(time.Hour)
			k, err := signing.GenerateKey(tt.alg, t0, activates)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("GenerateKey error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if k.Algorithm != tt.alg || !k.CreatedAt.Equal(t0) || !k.ActivatesAt.Equal(activates) {
				t.Fatalf("GenerateKey = %s %s %s %s", k.ID, k.Algorithm, k.CreatedAt, k.ActivatesAt)
			}
			if len(k.ID) != 22 || strings.ContainsAny(k.ID, "+/=") {
				t.Fatalf("kid %q is not 16 base64url bytes", k.ID)
			}
			priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
			if err != nil {
				t.Fatalf("PrivateKey is not PKCS#8: %v", err)
			}
			if !tt.check(priv) {
				t.Fatalf("PrivateKey is %T, not an %s key", priv, tt.alg)
			}
			other, err := signing.GenerateKey(tt.alg, t0, activates)
			if err != nil {
				t.Fatal(err)
			}
			if other.ID == k.ID || bytes.Equal(other.PrivateKey, k.PrivateKey) {
				t.Fatal("two generated keys share an ID or key")
			}
		})
	}
	t.Run("activation before creation", func(t *testing.T) {
		if _, err := signing.GenerateKey(signing.EdDSA, t0, t0.Add(-time.Second)); err == nil {
			t.Fatal("GenerateKey accepted an activation in the past")
		}
	})
}

func TestRotate(t *testing.T) {
	tests := []struct {
		name    string
		alg     string
		after   time.Duration
		wantErr bool
	}{
		{"immediate", signing.EdDSA, 0, false},
		{"delayed", signing.ES256, 10 * time.Minute, false},
		{"negative delay", signing.EdDSA, -time.Second, true},
		{"unsupported algorithm", "none", time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks := newMemStore()
			k, err := signing.Rotate(context.Background(), ks, tt.alg, t0, tt.after)
			if tt.wantErr {
				if err == nil {
					t.Fatal("Rotate succeeded")
				}
				if n := len(ks.ids()); n != 0 {
					t.Fatalf("store has %d keys after a failed Rotate", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			stored := ks.all()
			if len(stored) != 1 || stored[0].ID != k.ID || !stored[0].ActivatesAt.Equal(t0.Add(tt.after)) || stored[0].Algorithm != tt.alg {
				t.Fatalf("stored %+v, want %s activating at %s", stored, k.ID, t0.Add(tt.after))
			}
		})
	}
}
