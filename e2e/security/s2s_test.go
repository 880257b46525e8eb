package security_test

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

const (
	tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	accessType    = "urn:ietf:params:oauth:token-type:access_token"
)

// s2s is what the service-to-service rows share: on server a, a client
// with no secret (its key registered) that may exchange tokens for
// search-api, a client that signs users in with tokens for the first, and
// a client whose assertions the attacks forge.
type s2s struct {
	s                  *suite
	id, victimID, web  string // client IDs
	key, victim, other harness.ServiceKey
	user               account
	webSecret          string
}

// newS2S adds the clients, named after prefix, and a user.
func (s *suite) newS2S(t *testing.T, prefix string) *s2s {
	x := &s2s{s: s, id: prefix, victimID: prefix + "-victim", web: prefix + "-web",
		key:    harness.NewServiceKey(t, "s2s-1", jose.EdDSA),
		victim: harness.NewServiceKey(t, "victim-1", jose.ES256),
		other:  harness.NewServiceKey(t, "other-1", jose.ES256),
	}
	cli(t, s.a, "", "clients", "add", x.id, "--grants", "client_credentials,token_exchange", "--scopes", "search",
		"--audience", "search-api", "--exchange-audiences", "search-api", "--jwks", harness.JWKSFile(t, x.key))
	cli(t, s.a, "", "clients", "add", x.victimID, "--grants", "client_credentials", "--scopes", "search",
		"--audience", "search-api", "--jwks", harness.JWKSFile(t, x.victim))
	cli(t, s.a, "", "clients", "add", prefix+"-other", "--grants", "client_credentials", "--scopes", "search",
		"--audience", "search-api", "--jwks", harness.JWKSFile(t, x.other))
	x.user = s.newAccount(t, s.a, prefix+"-user")
	x.webSecret = s.addClient(t, s.a, x.web, "--grants", "password,refresh_token", "--scopes", "search", "--audience", x.id)
	return x
}

// token posts a token request of the client that assertion
// authenticates, with a DPoP proof if not empty.
func (x *s2s) token(t *testing.T, assertion, proof string, pairs ...string) answer {
	t.Helper()
	x.s.secret(assertion)
	h := formHeader()
	if proof != "" {
		x.s.secret(proof)
		h.Set("DPoP", proof)
	}
	return x.s.do(t, request{url: x.s.a.URL + "/token", from: x.s.newAddr(), header: h,
		body: form(append(pairs, "client_assertion_type", harness.ClientAssertionType, "client_assertion", assertion)...)})
}

func (x *s2s) assertion(t *testing.T) string {
	return x.key.Assertion(t, x.id, x.s.a.URL+"/token", time.Minute)
}

// userToken is the access token of the user, signed in through s2s-web.
func (x *s2s) userToken(t *testing.T) tokens {
	t.Helper()
	return x.s.mustTokens(t, x.s.login(t, x.s.a, x.web, x.webSecret, x.user.user, x.user.password, x.s.newAddr()))
}

// claimsOf decodes the claims of a token of ours, unverified.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.20q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// clientAssertions forges and replays client assertions (RFC 7523 §3,
// RFC 7521 §5.2, RFC 8725).
func (s *suite) clientAssertions(t *testing.T) {
	x := s.newS2S(t, "assert")
	aud := s.a.URL + "/token"
	victim := func(c josejwt.Claims) josejwt.Claims {
		if c.Issuer == "" {
			c.Issuer, c.Subject = x.victimID, x.victimID
		}
		if c.Audience == nil {
			c.Audience = josejwt.Audience{aud}
		}
		if c.Expiry == nil {
			c.Expiry = josejwt.NewNumericDate(time.Now().Add(time.Minute))
		}
		if c.ID == "" {
			c.ID = "jti-" + time.Now().Format(time.RFC3339Nano)
		}
		return c
	}
	cc := []string{"grant_type", "client_credentials"}
	control := x.victim.Sign(t, victim(josejwt.Claims{}), "")
	rows := []struct {
		name, rfc string
		attack    func(t *testing.T)
	}{
		{"control: a fresh assertion signed by the client's key is accepted", "RFC 7523 §2.2", func(t *testing.T) {
			s.mustTokens(t, x.token(t, control, "", cc...))
		}},
		{"a replayed assertion is refused", "RFC 7523 §3 (7)", func(t *testing.T) {
			wantError(t, x.token(t, control, "", cc...), 401, "invalid_client")
		}},
		{"an expired assertion is refused", "RFC 7523 §3 (4)", func(t *testing.T) {
			a := x.victim.Sign(t, victim(josejwt.Claims{Expiry: josejwt.NewNumericDate(time.Now().Add(-time.Minute))}), "")
			wantError(t, x.token(t, a, "", cc...), 401, "invalid_client")
		}},
		{"an assertion living longer than five minutes is refused", "RFC 7523 §3 (4)", func(t *testing.T) {
			a := x.victim.Sign(t, victim(josejwt.Claims{Expiry: josejwt.NewNumericDate(time.Now().Add(time.Hour))}), "")
			wantError(t, x.token(t, a, "", cc...), 401, "invalid_client")
		}},
		{"an assertion for another audience is refused", "RFC 7523 §3 (3)", func(t *testing.T) {
			a := x.victim.Sign(t, victim(josejwt.Claims{Audience: josejwt.Audience{"https://other.example/token"}}), "")
			wantError(t, x.token(t, a, "", cc...), 401, "invalid_client")
		}},
		{"an unsigned assertion (alg none) is refused", "RFC 8725 §3.1", func(t *testing.T) {
			h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
			c, _ := json.Marshal(victim(josejwt.Claims{}))
			wantError(t, x.token(t, h+"."+base64.RawURLEncoding.EncodeToString(c)+".", "", cc...), 401, "invalid_client")
		}},
		{"an assertion signed with HS256 and the client's public key is refused", "RFC 8725 §3.1", func(t *testing.T) {
			pub, err := x.victim.Key.Public().(*ecdsa.PublicKey).Bytes()
			must(t, err)
			sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pub}, nil)
			must(t, err)
			a, err := josejwt.Signed(sig).Claims(victim(josejwt.Claims{})).Serialize()
			must(t, err)
			wantError(t, x.token(t, a, "", cc...), 401, "invalid_client")
		}},
		{"an assertion signed by another client's key is refused", "RFC 7523 §3 (9)", func(t *testing.T) {
			a := x.other.Sign(t, victim(josejwt.Claims{}), "")
			wantError(t, x.token(t, a, "", cc...), 401, "invalid_client")
		}},
		{"an access token of ours is not an assertion", "RFC 8725 §3.11", func(t *testing.T) {
			at := x.victim.Sign(t, victim(josejwt.Claims{}), "at+jwt")
			wantError(t, x.token(t, at, "", cc...), 401, "invalid_client")
		}},
		{"an assertion beside Basic credentials is refused", "RFC 6749 §2.3", func(t *testing.T) {
			a := x.victim.Sign(t, victim(josejwt.Claims{}), "")
			s.secret(a)
			wantError(t, s.do(t, request{url: s.a.URL + "/token", from: s.newAddr(),
				header: formHeader("Authorization", basic("svc", s.svcSecret)),
				body:   form("grant_type", "client_credentials", "client_assertion_type", harness.ClientAssertionType, "client_assertion", a)}),
				400, "invalid_request")
		}},
	}
	for _, r := range rows {
		t.Run(r.name+" ["+r.rfc+"]", r.attack)
	}
}

// tokenExchanges tries to widen what a token carries by exchanging it
// (RFC 8693 §2.1, §5).
func (s *suite) tokenExchanges(t *testing.T) {
	x := s.newS2S(t, "exchange")
	exchange := func(t *testing.T, subject string, pairs ...string) answer {
		return x.token(t, x.assertion(t), "", append([]string{"grant_type", tokenExchange, "subject_token", subject,
			"subject_token_type", accessType}, pairs...)...)
	}
	rows := []struct {
		name, rfc string
		attack    func(t *testing.T)
	}{
		{"control: the user stays the subject, the client acts, nothing widens", "RFC 8693 §4.1", func(t *testing.T) {
			user := x.userToken(t)
			tk := s.mustTokens(t, exchange(t, user.Access, "audience", "search-api"))
			c, u := claimsOf(t, tk.Access), claimsOf(t, user.Access)
			act, _ := c["act"].(map[string]any)
			if c["sub"] != x.user.user || act["sub"] != x.id || c["scope"] != "search" || c["exp"].(float64) > u["exp"].(float64) {
				t.Fatalf("exchanged claims %v", c)
			}
			if a := s.search(t, s.ra.URL, "Bearer "+tk.Access); a.status != 200 {
				t.Fatalf("the exchanged token at /search: %v", a)
			}
		}},
		{"a scope the subject token lacks is refused", "RFC 8693 §2.2.2", func(t *testing.T) {
			wantError(t, exchange(t, x.userToken(t).Access, "scope", "search admin"), 400, "invalid_scope")
		}},
		{"an audience the client may not exchange for is refused", "RFC 8693 §2.2.2", func(t *testing.T) {
			wantError(t, exchange(t, x.userToken(t).Access, "audience", "other-api"), 400, "invalid_target")
			wantError(t, exchange(t, x.userToken(t).Access, "resource", "other-api"), 400, "invalid_target")
		}},
		{"another client's token, not addressed to this one, is refused", "RFC 8693 §2.2.2", func(t *testing.T) {
			other := s.mustTokens(t, s.do(t, request{url: s.a.URL + "/token", header: formHeader("Authorization", basic("svc", s.svcSecret)),
				body: form("grant_type", "client_credentials")}))
			wantError(t, exchange(t, other.Access), 400, "invalid_grant")
		}},
		{"a revoked subject token is refused", "RFC 7009 §2.1", func(t *testing.T) {
			user := x.userToken(t)
			a := s.do(t, request{url: s.a.URL + "/revoke", header: formHeader("Authorization", basic(x.web, x.webSecret)),
				body: form("token", user.Access)})
			if a.status != 200 {
				t.Fatalf("revocation: %v", a)
			}
			wantError(t, exchange(t, user.Access), 400, "invalid_grant")
		}},
		{"revoking the grant deactivates the exchanged tokens", "RFC 7009 §2.1", func(t *testing.T) {
			user := x.userToken(t)
			tk := s.mustTokens(t, exchange(t, user.Access))
			s.do(t, request{url: s.a.URL + "/revoke", header: formHeader("Authorization", basic(x.web, x.webSecret)), body: form("token", user.Refresh)})
			in := s.do(t, request{url: s.a.URL + "/introspect", header: formHeader("Authorization", basic(x.web, x.webSecret)), body: form("token", tk.Access)})
			if in.status != 200 || string(in.body) != "{\"active\":false}\n" {
				t.Fatalf("introspection of a token exchanged from a revoked grant: %v", in)
			}
		}},
		{"a refresh token cannot be requested", "RFC 8693 §2.1", func(t *testing.T) {
			wantError(t, exchange(t, x.userToken(t).Access, "requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"), 400, "invalid_request")
		}},
	}
	for _, r := range rows {
		t.Run(r.name+" ["+r.rfc+"]", r.attack)
	}
}

// dpopProofs attacks DPoP-bound tokens at the real resource server and
// the token endpoint (RFC 9449 §4.3, §7).
func (s *suite) dpopProofs(t *testing.T) {
	x := s.newS2S(t, "dpop")
	key := harness.NewDPoPKey(t)
	a := x.token(t, x.assertion(t), key.Proof(t, "POST", s.a.URL+"/token", "", "", time.Now()), "grant_type", "client_credentials")
	tk := s.mustTokens(t, a)
	if a.json()["token_type"] != "DPoP" || claimsOf(t, tk.Access)["cnf"].(map[string]any)["jkt"] != key.JKT {
		t.Fatalf("not a DPoP-bound token: %v", a)
	}
	u := s.ra.URL + "/search"
	search := func(t *testing.T, scheme, proof string) answer {
		h := http.Header{"Authorization": {scheme + " " + tk.Access}}
		if proof != "" {
			s.secret(proof)
			h.Set("DPoP", proof)
		}
		return s.do(t, request{method: "GET", url: u + "?query=apple", header: h})
	}
	want := func(t *testing.T, a answer, code string) {
		t.Helper()
		if a.status != 401 || a.json()["error"] != code || !strings.Contains(strings.Join(a.header.Values("WWW-Authenticate"), ","), `DPoP `) {
			t.Fatalf("want 401 %s with a DPoP challenge, got %v %q", code, a, a.header.Values("WWW-Authenticate"))
		}
	}
	replayed := key.Proof(t, "GET", u, tk.Access, "", time.Now())
	rows := []struct {
		name, rfc string
		attack    func(t *testing.T)
	}{
		{"control: the bound token with a fresh proof is accepted", "RFC 9449 §7.1", func(t *testing.T) {
			if a := search(t, "DPoP", replayed); a.status != 200 {
				t.Fatalf("control: %v", a)
			}
		}},
		{"a replayed proof is refused", "RFC 9449 §11.1", func(t *testing.T) { want(t, search(t, "DPoP", replayed), "invalid_dpop_proof") }},
		{"a bound token sent as Bearer is refused", "RFC 9449 §7.2", func(t *testing.T) { want(t, search(t, "Bearer", ""), "invalid_token") }},
		{"a proof for another method is refused", "RFC 9449 §4.3 (9)", func(t *testing.T) {
			want(t, search(t, "DPoP", key.Proof(t, "POST", u, tk.Access, "", time.Now())), "invalid_dpop_proof")
		}},
		{"a proof for another URL is refused", "RFC 9449 §4.3 (10)", func(t *testing.T) {
			want(t, search(t, "DPoP", key.Proof(t, "GET", s.ra.URL+"/", tk.Access, "", time.Now())), "invalid_dpop_proof")
		}},
		{"a proof too old is refused", "RFC 9449 §4.3 (11)", func(t *testing.T) {
			want(t, search(t, "DPoP", key.Proof(t, "GET", u, tk.Access, "", time.Now().Add(-10*time.Minute))), "invalid_dpop_proof")
		}},
		{"a proof signed by another key than cnf.jkt is refused", "RFC 9449 §4.3 (12)", func(t *testing.T) {
			want(t, search(t, "DPoP", harness.NewDPoPKey(t).Proof(t, "GET", u, tk.Access, "", time.Now())), "invalid_token")
		}},
		{"a proof with a wrong ath is refused", "RFC 9449 §4.3 (12)", func(t *testing.T) {
			want(t, search(t, "DPoP", key.Proof(t, "GET", u, s.svcSecret, "", time.Now())), "invalid_dpop_proof")
		}},
		{"a proof carrying its private key is refused", "RFC 9449 §4.3 (7)", func(t *testing.T) {
			priv := jose.JSONWebKey{Key: key.Key}
			opts := (&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", priv)
			sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key.Key}, opts)
			must(t, err)
			p, err := josejwt.Signed(sig).Claims(map[string]any{"jti": "private", "htm": "GET", "htu": u, "iat": time.Now().Unix()}).Serialize()
			must(t, err)
			want(t, search(t, "DPoP", p), "invalid_dpop_proof")
		}},
		{"an unsigned proof is refused", "RFC 9449 §4.3 (5)", func(t *testing.T) {
			h, _ := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": "none", "jwk": jose.JSONWebKey{Key: &key.Key.PublicKey}})
			c, _ := json.Marshal(map[string]any{"jti": "none", "htm": "GET", "htu": u, "iat": time.Now().Unix()})
			want(t, search(t, "DPoP", base64.RawURLEncoding.EncodeToString(h)+"."+base64.RawURLEncoding.EncodeToString(c)+"."), "invalid_dpop_proof")
		}},
		{"a proof for another URL at the token endpoint is refused", "RFC 9449 §5", func(t *testing.T) {
			wantError(t, x.token(t, x.assertion(t), key.Proof(t, "POST", s.a.URL+"/introspect", "", "", time.Now()), "grant_type", "client_credentials"),
				400, "invalid_dpop_proof")
		}},
	}
	for _, r := range rows {
		t.Run(r.name+" ["+r.rfc+"]", r.attack)
	}
}
