package security_test

import (
	"testing"
)

// refusedGrants asks for tokens an account or a client may not have: a
// disabled user's, and scopes beyond the client's allowance.
func (s *suite) refusedGrants(t *testing.T) {
	rows := []struct {
		name, rfc string
		attack    func(t *testing.T)
	}{
		{"a disabled user gets a wrong password's answer, even with the right password", "RFC 6749 §5.2, §10.10", func(t *testing.T) {
			ac := s.newAccount(t, s.a, "leaver")
			wrong := s.login(t, s.a, ac.client, ac.secret, ac.user, s.guess(), s.newAddr())
			wantError(t, wrong, 400, "invalid_grant")
			// The account works until it is disabled (and the success
			// clears the failure above).
			s.mustTokens(t, s.login(t, s.a, ac.client, ac.secret, ac.user, ac.password, s.newAddr()))
			cli(t, s.a, "", "users", "disable", ac.user)
			sameAnswer(t, "right password of a disabled user", wrong, s.login(t, s.a, ac.client, ac.secret, ac.user, ac.password, s.newAddr()))
			sameAnswer(t, "wrong password of a disabled user", wrong, s.login(t, s.a, ac.client, ac.secret, ac.user, s.guess(), s.newAddr()))
		}},
		{"a scope beyond the client's allowance is invalid_scope, even one the user has", "RFC 6749 §3.3, §5.2", func(t *testing.T) {
			ac := s.newAccount(t, s.a, "wide-scopes", "search", "admin")
			grants := []struct {
				name                 string
				client, secret, body string // the body without its scope
			}{
				{"password", ac.client, ac.secret, form("grant_type", "password", "username", ac.user, "password", ac.password)},
				{"client_credentials", "svc", s.svcSecret, form("grant_type", "client_credentials")},
			}
			for _, g := range grants {
				grant := func(scope string) answer {
					return s.do(t, request{url: s.a.URL + "/token", from: s.newAddr(),
						header: formHeader("Authorization", basic(g.client, g.secret)), body: g.body + "&" + form("scope", scope)})
				}
				// The control: the allowed scope is granted.
				a := grant("search")
				s.mustTokens(t, a)
				if got := a.json()["scope"]; got != "search" {
					t.Errorf("%s: scope %q granted, want search", g.name, got)
				}
				for _, scope := range []string{"admin", "search admin", "admin search", "searchx"} {
					wantError(t, grant(scope), 400, "invalid_scope")
				}
			}
		}},
	}
	for _, r := range rows {
		t.Run(r.name+" ["+r.rfc+"]", r.attack)
	}
}
