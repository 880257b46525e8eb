package server_test

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/signing"
)

// kids returns the key IDs the server publishes.
func (e *env) kids() []string {
	e.t.Helper()
	var ids []string
	for _, k := range e.keySet().Keys {
		ids = append(ids, k.Kid)
	}
	return ids
}

// kidOf returns the key ID in a token's header.
func kidOf(t *testing.T, token string) string {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

// TestKeyRevocationWhileServing: a key revoked by another process (the
// CLI) makes its tokens fail introspection at once, and leaves the key set
// and stops signing at the server's next key reload, the key published to
// succeed it signing from then on.
func TestKeyRevocationWhileServing(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	password := url.Values{"grant_type": {"password"}, "username": {"tester"}, "password": {userPassword}}
	_, before := e.post("/token", password, "web", webSecret)
	old := kidOf(t, before["access_token"].(string))
	next, err := signing.Rotate(ctx, e.store, e.alg, e.clock.Now(), e.cfg.KeyActivateAfter)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the rotated key is published", func() bool { return slices.Contains(e.kids(), next.ID) })

	if err := e.store.RevokeSigningKey(ctx, old, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, intro := e.post("/introspect", url.Values{"token": {before["access_token"].(string)}}, "svc", svcSecret)
	if intro["active"] != false || len(intro) != 1 {
		t.Fatalf("introspection of a token of the revoked key = %v, want exactly {active:false} at once", intro)
	}
	eventually(t, "the revoked key leaves the key set", func() bool { return !slices.Contains(e.kids(), old) })
	_, after := e.post("/token", password, "web", webSecret)
	token := after["access_token"].(string)
	if kid := kidOf(t, token); kid != next.ID {
		t.Fatalf("signed by %q after the revocation, want the key published to succeed it, %q, without its wait", kid, next.ID)
	}
	e.verifyWithJWKS(token)
	_, intro = e.post("/introspect", url.Values{"token": {token}}, "svc", svcSecret)
	if intro["active"] != true {
		t.Fatalf("introspection of a token of the successor = %v", intro)
	}
}
