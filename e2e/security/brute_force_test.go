package security_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// account is a user of server a with a client of its own.
type account struct {
	user, password string
	client, secret string
}

// newAccount adds user with the scope search, or with scopes if any, and
// a client for it allowed the password grant and the scope search.
func (s *suite) newAccount(t *testing.T, a *harness.Auth, user string, scopes ...string) account {
	t.Helper()
	ac := account{user: user, password: "pw " + rand.Text(), client: "c-" + rand.Text()[:12]}
	s.secret(ac.password)
	if len(scopes) == 0 {
		scopes = []string{"search"}
	}
	cli(t, a, ac.password+"\n", "users", "add", user, "--scopes", strings.Join(scopes, ","))
	ac.secret = s.addClient(t, a, ac.client, "--grants", "password", "--scopes", "search", "--audience", "search-api")
	return ac
}

// guess returns a wrong password, recorded as a secret: a near miss of a
// real one is as sensitive as the real one.
func (s *suite) guess() string {
	g := "guess " + rand.Text()
	s.secret(g)
	return g
}

// sameAnswer checks that got cannot be told from want.
func sameAnswer(t *testing.T, what string, want, got answer) {
	t.Helper()
	if got.err != nil || got.status != want.status || string(got.body) != string(want.body) {
		t.Fatalf("%s: got %v, want the same answer as a wrong password: %v", what, got, want)
	}
	for _, h := range []string{"Retry-After", "WWW-Authenticate", "Cache-Control", "Content-Type"} {
		if got.header.Get(h) != want.header.Get(h) {
			t.Errorf("%s: %s = %q, want %q", what, h, got.header.Get(h), want.header.Get(h))
		}
	}
}

// subject returns the "sub" of an access token, read without checking it.
func subject(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	must(t, err)
	var c struct {
		Sub string `json:"sub"`
	}
	must(t, json.Unmarshal(b, &c))
	return c.Sub
}

func wantThrottled(t *testing.T, a answer) {
	t.Helper()
	wantError(t, a, http.StatusTooManyRequests, "temporarily_unavailable")
	if n, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || n <= 0 {
		t.Errorf("429 without a Retry-After in seconds: %q", a.header.Get("Retry-After"))
	}
}

func (s *suite) bruteForce(t *testing.T) {
	rows := []struct {
		name, rfc string
		attack    func(t *testing.T)
	}{
		{"lockout: even the right password gets the wrong password's answer", "RFC 6749 §4.3.2, §10.10", func(t *testing.T) {
			ac := s.newAccount(t, s.a, "victim-one")
			from := s.newAddr()
			first := s.login(t, s.a, ac.client, ac.secret, ac.user, s.guess(), from)
			wantError(t, first, 400, "invalid_grant")
			for range aLoginMaxFailures - 1 {
				sameAnswer(t, "wrong password", first, s.login(t, s.a, ac.client, ac.secret, ac.user, s.guess(), from))
			}
			sameAnswer(t, "right password while locked out", first, s.login(t, s.a, ac.client, ac.secret, ac.user, ac.password, from))
			sameAnswer(t, "right password from another address", first, s.login(t, s.a, ac.client, ac.secret, ac.user, ac.password, s.newAddr()))
		}},
		{"the count follows the account across source addresses", "RFC 6749 §4.3.2", func(t *testing.T) {
			ac := s.newAccount(t, s.a, "victim-two")
			var wrong answer
			for range aLoginMaxFailures {
				wrong = s.login(t, s.a, ac.client, ac.secret, ac.user, s.guess(), s.newAddr())
			}
			sameAnswer(t, "right password after failures from other addresses", wrong, s.login(t, s.a, ac.client, ac.secret, ac.user, ac.password, s.newAddr()))
		}},
		{"a locked-out account cannot be told from an unknown name", "RFC 6749 §5.2, §10.10", func(t *testing.T) {
			ac := s.newAccount(t, s.a, "victim-three")
			for range aLoginMaxFailures {
				s.login(t, s.a, ac.client, ac.secret, ac.user, s.guess(), s.newAddr())
			}
			locked := s.login(t, s.a, ac.client, ac.secret, ac.user, ac.password, s.newAddr())
			for _, name := range []string{"never-existed", "nobody-at-all"} {
				// A client for each name, so that the client's own limit
				// is not what answers.
				sec := s.addClient(t, s.a, name+"-client", "--grants", "password", "--scopes", "search", "--audience", "search-api")
				for range aLoginMaxFailures {
					s.login(t, s.a, name+"-client", sec, name, s.guess(), s.newAddr())
				}
				sameAnswer(t, "unknown name locked out", locked, s.login(t, s.a, name+"-client", sec, name, s.guess(), s.newAddr()))
			}
		}},
		{"a success clears the account's count", "RFC 6749 §4.3.2", func(t *testing.T) {
			ac := s.newAccount(t, s.a, "typo-prone")
			from := s.newAddr()
			for range 2 {
				for range aLoginMaxFailures - 1 {
					wantError(t, s.login(t, s.a, ac.client, ac.secret, ac.user, s.guess(), from), 400, "invalid_grant")
				}
				s.mustTokens(t, s.login(t, s.a, ac.client, ac.secret, ac.user, ac.password, from))
			}
		}},
		{"the Kelvin sign logs in as k, and cannot make a second account", "RFC 8265 §3.3", func(t *testing.T) {
			ac := s.newAccount(t, s.a, "kelvin")
			_, stderr, err := s.a.TryCLI("other-password-123\n", "users", "add", "\u212Aelvin")
			if err == nil || !strings.Contains(stderr, `user "kelvin" already exists`) {
				t.Fatalf("users add with the Kelvin sign: %v %s", err, stderr)
			}
			for _, spelling := range []string{"\u212Aelvin", "KELVIN", "ｋｅｌｖｉｎ"} {
				tk := s.mustTokens(t, s.login(t, s.a, ac.client, ac.secret, spelling, ac.password, s.newAddr()))
				if sub := subject(t, tk.Access); sub != "kelvin" {
					t.Errorf("logged in as %q: sub %q, want kelvin", spelling, sub)
				}
			}
		}},
		{"failures under look-alike spellings count on one account", "RFC 8265 §3.3, RFC 6749 §4.3.2", func(t *testing.T) {
			ac := s.newAccount(t, s.a, "kay")
			var wrong answer
			for _, spelling := range []string{"KAY", "\u212Aay", "ｋａｙ"}[:aLoginMaxFailures] {
				wrong = s.login(t, s.a, ac.client, ac.secret, spelling, s.guess(), s.newAddr())
			}
			sameAnswer(t, "right password", wrong, s.login(t, s.a, ac.client, ac.secret, "kay", ac.password, s.newAddr()))
		}},
		{"control, invisible and look-alike characters make no new user", "RFC 8265 §3.3", func(t *testing.T) {
			for _, name := range []string{"bo\x07b", "\u202etester", "tes\u200bter", "tester\t", "tester ", "TESTER"} {
				if _, stderr, err := s.a.TryCLI("some-password-123\n", "users", "add", name); err == nil {
					t.Errorf("users add %q succeeded", name)
				} else if strings.Contains(stderr, "some-password-123") {
					t.Errorf("users add %q repeats the password: %s", name, stderr)
				}
			}
			out := cli(t, s.a, "", "users", "list")
			if strings.Count(out, "tester") != 1 {
				t.Errorf("users list:\n%s", out)
			}
		}},
		{"credential stuffing from one address locks the address out", "RFC 6749 §4.3.2", func(t *testing.T) {
			ac := s.newAccount(t, s.a, "stuffing-target")
			from := s.newAddr()
			for i := range aAddressMaxFailures {
				a := s.login(t, s.a, ac.client, ac.secret, fmt.Sprintf("user-%d", i), s.guess(), from)
				wantError(t, a, 400, "invalid_grant")
			}
			wantThrottled(t, s.login(t, s.a, ac.client, ac.secret, ac.user, ac.password, from))
			s.mustTokens(t, s.login(t, s.a, ac.client, ac.secret, ac.user, ac.password, s.newAddr()))
		}},
		{"X-Forwarded-For entries the client wrote are not believed", "RFC 7239 §8.1", func(t *testing.T) {
			ac := s.newAccount(t, s.a, "proxied")
			real := s.newAddr()
			for i := range aAddressMaxFailures {
				// The proxy appends the real address; the client put a new
				// one of its own in front each time.
				spoofed := fmt.Sprintf("203.0.113.%d, %s", i+1, real)
				s.login(t, s.a, ac.client, ac.secret, fmt.Sprintf("someone-%d", i), s.guess(), spoofed)
			}
			wantThrottled(t, s.login(t, s.a, ac.client, ac.secret, ac.user, ac.password, "203.0.113.200, "+real))
		}},
		{"X-Forwarded-For from a peer that is not a trusted proxy changes nothing", "RFC 7239 §8.1", func(t *testing.T) {
			for i := range cAddressMaxFailures {
				a := s.login(t, s.c, "web", s.cWeb, "tester", s.guess(), fmt.Sprintf("203.0.113.%d", i+1))
				wantError(t, a, 400, "invalid_grant")
			}
			// The right password, a fresh spoofed address: the peer
			// (loopback) is what was counted, and it is locked out.
			wantThrottled(t, s.login(t, s.c, "web", s.cWeb, "tester", s.password, "203.0.113.99"))
		}},
		{"client secret guessing locks the client out, at every endpoint", "RFC 6749 §2.3.1", func(t *testing.T) {
			sec := s.addClient(t, s.a, "guessme", "--grants", "client_credentials", "--scopes", "search", "--audience", "search-api")
			for range aClientMaxFailures {
				a := s.do(t, request{url: s.a.URL + "/token", from: s.newAddr(),
					header: formHeader("Authorization", basic("guessme", s.guess())), body: form("grant_type", "client_credentials")})
				wantError(t, a, 401, "invalid_client")
			}
			for _, ep := range []struct{ path, body string }{
				{"/token", form("grant_type", "client_credentials")},
				{"/introspect", form("token", "x")},
				{"/revoke", form("token", "x")},
			} {
				wantThrottled(t, s.do(t, request{url: s.a.URL + ep.path, from: s.newAddr(),
					header: formHeader("Authorization", basic("guessme", sec)), body: ep.body}))
			}
		}},
		{"secret guessing at /introspect and /revoke locks the address out", "RFC 6749 §2.3.1, RFC 7662 §2.1, RFC 7009 §2.1", func(t *testing.T) {
			from := s.newAddr()
			for i := range aAddressMaxFailures {
				path := []string{"/introspect", "/revoke"}[i%2]
				a := s.do(t, request{url: s.a.URL + path, from: from,
					header: formHeader("Authorization", basic(fmt.Sprintf("probe-%d", i), s.guess())), body: form("token", "x")})
				wantError(t, a, 401, "invalid_client")
			}
			wantThrottled(t, s.do(t, request{url: s.a.URL + "/token", from: from,
				header: formHeader("Authorization", basic("web", s.webSecret)), body: form("grant_type", "client_credentials")}))
		}},
	}
	for _, r := range rows {
		t.Run(r.name+" ["+r.rfc+"]", r.attack)
	}
}
