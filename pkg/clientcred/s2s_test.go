package clientcred_test

import (
	"context"
	"crypto"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/clientcred"
)

func TestDPoPClientRetriesWithNonces(t *testing.T) {
	key := serviceKey()
	auth := newFakeAuth(map[string]crypto.PublicKey{"reports": key.Public()})
	defer auth.Close()
	dpop, err := clientcred.GenerateDPoPKey()
	if err != nil {
		t.Fatal(err)
	}
	api := clientcred.Client(context.Background(), clientcred.Config{TokenURL: auth.URL + "/token", ClientID: "reports",
		Assertion: clientcred.KeyAssertion{Key: key, KeyID: "k1"}, DPoP: dpop})
	for i := range 3 {
		resp, err := api.Get(auth.URL + "/api?query=apple")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "reports for reports" {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	// One nonce retry at each server, then the token is reused and the
	// nonce remembered.
	if n := auth.tokenCalls.Load(); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
	if n := auth.apiCalls.Load(); n != 4 {
		t.Errorf("%d API requests, want 4", n)
	}

	// A key the server does not know: invalid_client, as an *Error.
	bad := clientcred.TokenSource(context.Background(), clientcred.Config{TokenURL: auth.URL + "/token", ClientID: "reports",
		Assertion: clientcred.KeyAssertion{Key: serviceKey()}})
	var e *clientcred.Error
	if _, err := bad.Token(); !errors.As(err, &e) || e.Code != "invalid_client" || e.Status != 401 {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestWorkloadTokenRereadWhenChanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	w := &clientcred.WorkloadToken{Path: path}
	if _, err := w.Assertion(context.Background(), "c", "u"); err == nil {
		t.Fatal("a missing file gave a token")
	}
	if err := os.WriteFile(path, []byte("first\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if a, _ := w.Assertion(context.Background(), "c", "u"); a != "first" {
		t.Fatalf("got %q", a)
	}
	later := time.Now().Add(time.Hour)
	if err := os.WriteFile(path, []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(path, later, later)
	if a, _ := w.Assertion(context.Background(), "c", "u"); a != "second" {
		t.Fatalf("after rotation got %q", a)
	}
	_ = os.WriteFile(path, nil, 0o600)
	_ = os.Chtimes(path, later.Add(time.Hour), later.Add(time.Hour))
	if _, err := w.Assertion(context.Background(), "c", "u"); err == nil {
		t.Fatal("an empty file gave a token")
	}
}

func TestExchangerCaches(t *testing.T) {
	key := serviceKey()
	auth := newFakeAuth(map[string]crypto.PublicKey{"svc-b": key.Public()})
	defer auth.Close()
	ex := clientcred.NewExchanger(context.Background(), clientcred.Config{TokenURL: auth.URL + "/token", ClientID: "svc-b",
		Assertion: clientcred.KeyAssertion{Key: key}})
	user := auth.userToken("alice")
	a, err := ex.Token(user, "svc-c")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ex.Token(user, "svc-c")
	c, _ := ex.Token(user, "svc-d")
	if a.AccessToken != b.AccessToken || a.AccessToken == c.AccessToken || auth.tokenCalls.Load() != 2 {
		t.Fatalf("cache: %v %v %v after %d requests", a.AccessToken, b.AccessToken, c.AccessToken, auth.tokenCalls.Load())
	}
	var e *clientcred.Error
	if _, err := ex.Token("not-a-token", "svc-c"); !errors.As(err, &e) || e.Code != "invalid_grant" {
		t.Fatalf("unknown subject token: %v", err)
	}
}

type localVerifier struct{}

func (localVerifier) Verify(context.Context, string) (*claims.AccessToken, error) {
	return &claims.AccessToken{Subject: "alice"}, nil
}

func TestIntrospectorCacheAndVerifier(t *testing.T) {
	key := serviceKey()
	auth := newFakeAuth(map[string]crypto.PublicKey{"api": key.Public()})
	defer auth.Close()
	in, err := clientcred.NewIntrospector(context.Background(), clientcred.Config{TokenURL: auth.URL + "/token", ClientID: "api",
		Assertion: clientcred.KeyAssertion{Key: key}}, clientcred.IntrospectorOptions{URL: auth.URL + "/introspect", CacheFor: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	v := in.Verifier(localVerifier{})
	tok := auth.userToken("alice")
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	auth.revoke(tok)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("within the cache time the earlier answer holds: %v", err)
	}
	fresh, _ := clientcred.NewIntrospector(context.Background(), clientcred.Config{TokenURL: auth.URL + "/token", ClientID: "api",
		Assertion: clientcred.KeyAssertion{Key: key}}, clientcred.IntrospectorOptions{URL: auth.URL + "/introspect"})
	if _, err := fresh.Verifier(localVerifier{}).Verify(context.Background(), tok); !errors.Is(err, clientcred.ErrInactive) {
		t.Fatalf("revoked token: %v", err)
	}
}
