package security_test

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// keyRevocation withdraws auth server b's signing key, as after a leak.
func (s *suite) keyRevocation(t *testing.T) {
	kidOf := func(t *testing.T, token string) string {
		t.Helper()
		tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
		must(t, err)
		kid, _ := tok.Header["kid"].(string)
		return kid
	}
	rows := []struct {
		name, rfc string
		attack    func(t *testing.T)
	}{
		{"a token of a revoked signing key is inactive at once, and refused at the resource server once it fetches the key set", "RFC 7662 §2.2, RFC 7517 §5", func(t *testing.T) {
			stolen := s.mustTokens(t, s.login(t, s.b, "web", s.bWeb, "tester", s.password, s.newAddr()))
			if a := s.search(t, s.rb.URL, "Bearer "+stolen.Access); a.status != http.StatusOK {
				t.Fatalf("before the revocation: %v", a)
			}
			kid := kidOf(t, stolen.Access)
			out := cli(t, s.b, "", "keys", "revoke", kid)
			if !strings.Contains(out, "revoked") {
				t.Fatalf("keys revoke printed %q", out)
			}
			intro := s.do(t, request{url: s.b.URL + "/introspect", from: s.newAddr(),
				header: formHeader("Authorization", basic("web", s.bWeb)), body: form("token", stolen.Access)})
			if intro.status != http.StatusOK || strings.TrimSpace(string(intro.body)) != `{"active":false}` {
				t.Fatalf("introspection right after the revocation: %v, want exactly {\"active\":false}", intro)
			}
			// The server stops publishing and using it within its key
			// reload; the next token is signed by another key.
			var fresh tokens
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				fresh = s.mustTokens(t, s.login(t, s.b, "web", s.bWeb, "tester", s.password, s.newAddr()))
				if kidOf(t, fresh.Access) != kid {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the revoked key still signs")
				}
			}
			jwks := s.do(t, request{method: "GET", url: s.b.URL + "/.well-known/jwks.json"})
			if strings.Contains(string(jwks.body), kid) {
				t.Fatalf("the revoked key is still published: %s", jwks.body)
			}
			// The resource server drops it when it fetches the key set:
			// at once on SIGHUP.
			s.rb.Signal(syscall.SIGHUP)
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				a := s.search(t, s.rb.URL, "Bearer "+stolen.Access)
				if a.status == http.StatusUnauthorized && strings.Contains(a.header.Get("WWW-Authenticate"), "invalid_token") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the resource server still accepts a token of the revoked key after SIGHUP: %v", a)
				}
			}
			if a := s.search(t, s.rb.URL, "Bearer "+fresh.Access); a.status != http.StatusOK {
				t.Fatalf("a token of the key that signs now: %v", a)
			}
		}},
	}
	for _, r := range rows {
		t.Run(r.name+" ["+r.rfc+"]", r.attack)
	}
}
