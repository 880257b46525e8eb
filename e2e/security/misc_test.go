package security_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// bitFlips flips one bit in every character of every segment of real
// access tokens, one at a time: no flipped token is accepted.
func (s *suite) bitFlips(t *testing.T) {
	a := s.mustTokens(t, s.login(t, s.a, "web", s.webSecret, "tester", s.password, s.newAddr())).Access
	b := s.mustTokens(t, s.login(t, s.b, "web", s.bWeb, "tester", s.password, "")).Access
	for _, tk := range []struct {
		name, token string
		rs          *harness.Resource
	}{{"RS256", a, s.ra}, {"ES256", b, s.rb}} {
		wantOutcome(t, s.search(t, tk.rs.URL, "Bearer "+tk.token), accepted)
		dot1, dot2 := strings.IndexByte(tk.token, '.'), strings.LastIndexByte(tk.token, '.')
		for _, seg := range []struct {
			name       string
			start, end int
		}{{"header", 0, dot1}, {"payload", dot1 + 1, dot2}, {"signature", dot2 + 1, len(tk.token)}} {
			t.Run(fmt.Sprintf("%s: a bit flipped in each character of the %s [RFC 7515 §5.2]", tk.name, seg.name), func(t *testing.T) {
				for i := seg.start; i < seg.end; i++ {
					flipped := tk.token[:i] + string(tk.token[i]^1) + tk.token[i+1:]
					a := s.search(t, tk.rs.URL, "Bearer "+flipped)
					if a.err != nil || a.status == 200 || (a.status != 400 && a.status != 401) {
						t.Fatalf("bit flipped at %d of %d: %v", i, len(tk.token), a)
					}
					if i == seg.start || i == seg.end-1 {
						wantOutcome(t, a, eitherInvalid)
					}
				}
			})
		}
	}
}

// slowClients holds connections open the way slow-loris attacks do: the
// servers close them within their read timeouts.
func (s *suite) slowClients(t *testing.T) {
	rows := []struct {
		name, rfc string
		addr      string
		send      string
		within    time.Duration
	}{
		{"authorization server: headers that never end", "RFC 9112 §9.5", s.a.Addr,
			"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n", time.Minute},
		{"resource server: headers that never end", "RFC 9112 §9.5", strings.TrimPrefix(s.ra.URL, "http://"),
			"GET /search?query=apple HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ", time.Minute},
		{"authorization server: a body that never ends", "RFC 9112 §9.5", s.a.Addr,
			"POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=", 2 * time.Minute},
		{"authorization server: nothing at all", "RFC 9112 §9.5", s.a.Addr, "", time.Minute},
	}
	var wg sync.WaitGroup
	for _, r := range rows {
		wg.Go(func() {
			t.Run(r.name+" ["+r.rfc+"]", func(t *testing.T) {
				conn, err := net.Dial("tcp", r.addr)
				must(t, err)
				defer conn.Close()
				if r.send != "" {
					_, err = conn.Write([]byte(r.send))
					must(t, err)
				}
				if err := closedWithin(conn, r.within); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
	wg.Wait()
}

// refreshAndRevocation attacks refresh tokens and checks that revocation
// reaches the access tokens of the grant.
func (s *suite) refreshAndRevocation(t *testing.T) {
	web2 := s.addClient(t, s.a, "web2", "--grants", "password,refresh_token", "--scopes", "search", "--audience", "search-api")
	cli(t, s.a, "", "clients", "add", "pub", "--public", "--grants", "password,refresh_token", "--scopes", "search", "--audience", "search-api")
	refresh := func(t *testing.T, client, secret, token string) answer {
		return s.do(t, request{url: s.a.URL + "/token", from: s.newAddr(),
			header: formHeader("Authorization", basic(client, secret)), body: form("grant_type", "refresh_token", "refresh_token", token)})
	}
	introspect := func(t *testing.T, client, secret, token string) answer {
		return s.do(t, request{url: s.a.URL + "/introspect", from: s.newAddr(),
			header: formHeader("Authorization", basic(client, secret)), body: form("token", token)})
	}
	revoke := func(t *testing.T, client, secret, token string) answer {
		return s.do(t, request{url: s.a.URL + "/revoke", from: s.newAddr(),
			header: formHeader("Authorization", basic(client, secret)), body: form("token", token)})
	}
	wantInactive := func(t *testing.T, a answer) {
		t.Helper()
		if a.status != 200 || strings.TrimSpace(string(a.body)) != `{"active":false}` {
			t.Fatalf(`want exactly {"active":false}, got %v`, a)
		}
	}
	wantActive := func(t *testing.T, a answer) {
		t.Helper()
		if a.status != 200 || a.json()["active"] != "true" {
			t.Fatalf("want an active token, got %v", a)
		}
	}
	login := func(t *testing.T) tokens {
		return s.mustTokens(t, s.login(t, s.a, "web", s.webSecret, "tester", s.password, s.newAddr()))
	}

	rows := []struct {
		name, rfc string
		attack    func(t *testing.T)
	}{
		{"50 parallel refreshes of one token hand out one successor; once it is used, the old token is reuse and the grant dies", "RFC 9700 §4.14.2, RFC 6749 §10.4", func(t *testing.T) {
			tk := login(t)
			const n = 50
			answers := make([]answer, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					answers[i] = refresh(t, "web", s.webSecret, tk.Refresh)
				})
			}
			close(start)
			wg.Wait()
			successors := map[string]tokens{}
			for _, a := range answers {
				switch {
				case a.status == 200:
					w := s.mustTokens(t, a)
					successors[w.Refresh] = w
				case a.status == 503 && a.json()["error"] == "temporarily_unavailable":
				default:
					t.Errorf("a parallel refresh got %v", a)
				}
			}
			if len(successors) != 1 {
				t.Fatalf("%d parallel refreshes of one token handed out %d refresh tokens, want 1", n, len(successors))
			}
			// The one successor is the one live refresh token: it rotates,
			// and the old token, presented again, is then reuse, which
			// revokes the grant with every token of it.
			for _, w := range successors {
				next := s.mustTokens(t, refresh(t, "web", s.webSecret, w.Refresh))
				wantError(t, refresh(t, "web", s.webSecret, tk.Refresh), 400, "invalid_grant")
				wantError(t, refresh(t, "web", s.webSecret, next.Refresh), 400, "invalid_grant")
				wantInactive(t, introspect(t, "web", s.webSecret, w.Access))
				wantInactive(t, introspect(t, "web", s.webSecret, next.Access))
			}
			wantInactive(t, introspect(t, "web", s.webSecret, tk.Access))
		}},
		{"a rotated refresh token replayed by another client within the grace window is refused and the grant lives", "RFC 6749 §6, RFC 9700 §4.14.2", func(t *testing.T) {
			tk := login(t)
			next := s.mustTokens(t, refresh(t, "web", s.webSecret, tk.Refresh))
			wantError(t, refresh(t, "web2", web2, tk.Refresh), 400, "invalid_grant")
			wantActive(t, introspect(t, "web", s.webSecret, next.Refresh))
		}},
		{"revoking a refresh token deactivates the access tokens of its grant", "RFC 7009 §2.1, RFC 7662 §2.2", func(t *testing.T) {
			first := login(t)
			second := s.mustTokens(t, refresh(t, "web", s.webSecret, first.Refresh))
			wantActive(t, introspect(t, "web", s.webSecret, second.Access))
			wantActive(t, introspect(t, "web", s.webSecret, second.Refresh))
			if a := revoke(t, "web", s.webSecret, second.Refresh); a.status != 200 {
				t.Fatalf("revoke: %v", a)
			}
			for _, tok := range []string{first.Access, second.Access, second.Refresh, first.Refresh} {
				wantInactive(t, introspect(t, "web", s.webSecret, tok))
			}
			wantError(t, refresh(t, "web", s.webSecret, second.Refresh), 400, "invalid_grant")
		}},
		{"a client cannot revoke another client's token", "RFC 7009 §2.1", func(t *testing.T) {
			tk := login(t)
			if a := revoke(t, "web2", web2, tk.Refresh); a.status != 200 {
				t.Fatalf("revoke of a foreign token: %v, want the same 200 as any token", a)
			}
			wantActive(t, introspect(t, "web", s.webSecret, tk.Refresh))
			wantActive(t, introspect(t, "web", s.webSecret, tk.Access))
		}},
		{"a refresh token is bound to its client", "RFC 6749 §6, RFC 9700 §4.14.2", func(t *testing.T) {
			tk := login(t)
			wantError(t, refresh(t, "web2", web2, tk.Refresh), 400, "invalid_grant")
			s.mustTokens(t, refresh(t, "web", s.webSecret, tk.Refresh))
		}},
		{"another client's refresh token introspects as inactive", "RFC 7662 §2.2, §4", func(t *testing.T) {
			tk := login(t)
			wantInactive(t, introspect(t, "web2", web2, tk.Refresh))
		}},
		{"introspection needs a confidential client", "RFC 7662 §2.1", func(t *testing.T) {
			tk := login(t)
			wantError(t, s.do(t, request{url: s.a.URL + "/introspect", from: s.newAddr(), header: formHeader(),
				body: form("token", tk.Access, "client_id", "pub")}), 401, "invalid_client")
			wantError(t, s.do(t, request{url: s.a.URL + "/introspect", from: s.newAddr(), header: formHeader(),
				body: form("token", tk.Access)}), 401, "invalid_client")
		}},
	}
	for _, r := range rows {
		t.Run(r.name+" ["+r.rfc+"]", r.attack)
	}
}

// securityHeaders checks the headers of every kind of answer of both
// servers.
func (s *suite) securityHeaders(t *testing.T) {
	access := s.mustTokens(t, s.login(t, s.a, "web", s.webSecret, "tester", s.password, s.newAddr())).Access
	svc := basic("svc", s.svcSecret)
	rows := []struct {
		name string
		req  request
		// noStore: the answer must carry Cache-Control: no-store
		noStore bool
	}{
		{"token", request{url: s.a.URL + "/token", header: formHeader("Authorization", svc), body: form("grant_type", "client_credentials")}, true},
		{"token error", request{url: s.a.URL + "/token", header: formHeader(), body: form("grant_type", "password")}, true},
		{"introspection", request{url: s.a.URL + "/introspect", header: formHeader("Authorization", svc), body: form("token", access)}, true},
		{"revocation", request{url: s.a.URL + "/revoke", header: formHeader("Authorization", svc), body: form("token", "unknown-token-value")}, true},
		{"JWKS", request{method: "GET", url: s.a.URL + "/.well-known/jwks.json"}, false},
		{"metadata", request{method: "GET", url: s.a.URL + "/.well-known/oauth-authorization-server"}, false},
		{"health", request{method: "GET", url: s.a.URL + "/healthz"}, false},
		{"unknown path", request{method: "GET", url: s.a.URL + "/admin"}, true},
		{"wrong method", request{method: "DELETE", url: s.a.URL + "/.well-known/jwks.json"}, true},
		{"resource: public page", request{method: "GET", url: s.ra.URL + "/"}, false},
		{"resource: search", request{method: "GET", url: s.ra.URL + "/search?query=apple", header: http.Header{"Authorization": {"Bearer " + access}}}, true},
		{"resource: no token", request{method: "GET", url: s.ra.URL + "/search?query=apple"}, true},
		{"resource: bad query", request{method: "GET", url: s.ra.URL + "/search", header: http.Header{"Authorization": {"Bearer " + access}}}, true},
		{"resource: unknown path", request{method: "GET", url: s.ra.URL + "/admin"}, true},
		{"resource: wrong method", request{method: "POST", url: s.ra.URL + "/search"}, true},
		{"resource: metadata", request{method: "GET", url: s.ra.URL + "/.well-known/oauth-protected-resource"}, false},
		{"resource: API docs", request{method: "GET", url: s.ra.URL + "/docs"}, false},
		{"resource: health", request{method: "GET", url: s.ra.URL + "/healthz"}, false},
	}
	for _, r := range rows {
		t.Run(r.name+" [RFC 6749 §5.1, RFC 6750 §3]", func(t *testing.T) {
			a := s.do(t, r.req)
			if a.err != nil {
				t.Fatal(a.err)
			}
			wantSecurityHeaders(t, a)
			if (r.noStore || a.status >= 400) && a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%d answer with Cache-Control %q, want no-store", a.status, a.header.Get("Cache-Control"))
			}
		})
	}
}
