package security_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// outcome is how the resource server must answer a token.
type outcome int

const (
	accepted       outcome = iota // 200: the control rows
	invalidToken                  // 401 error="invalid_token" (RFC 6750 §3.1)
	invalidRequest                // 400 error="invalid_request": the header is malformed
	eitherInvalid                 // invalidToken or invalidRequest, depending on the character
	tooLarge                      // 431 before any parsing (or the connection closed)
	noToken                       // 401 without an error code: no token was presented at all
)

func (o outcome) String() string {
	return [...]string{"accepted", "invalid_token", "invalid_request", "invalid_token or invalid_request", "431", "no token"}[o]
}

// search presents an Authorization header value ("" for none) at /search
// of the resource server base.
func (s *suite) search(t *testing.T, base string, header ...string) answer {
	t.Helper()
	h := http.Header{}
	for _, v := range header {
		h.Add("Authorization", v)
	}
	return s.do(t, request{method: "GET", url: base + "/search?query=apple", header: h})
}

// wantOutcome checks the resource server's answer.
func wantOutcome(t *testing.T, a answer, want outcome) {
	t.Helper()
	if want == tooLarge {
		if a.err == nil && a.status != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("want 431 or a closed connection, got %v", a)
		}
		return
	}
	if a.err != nil {
		t.Fatalf("want %v, got %v", want, a)
	}
	wantSecurityHeaders(t, a)
	code := a.json()["error"]
	challenge := a.header.Get("WWW-Authenticate")
	switch {
	case want == accepted:
		if a.status != 200 || a.json()["message"] != "found apple in search" {
			t.Fatalf("the control token was refused: %v", a)
		}
		return
	case want == eitherInvalid && a.status == 400, want == invalidRequest:
		if a.status != 400 || code != "invalid_request" || !strings.Contains(challenge, `error="invalid_request"`) {
			t.Fatalf("want 400 invalid_request, got %v (challenge %q)", a, challenge)
		}
	case want == eitherInvalid, want == invalidToken:
		if a.status != 401 || code != "invalid_token" || !strings.Contains(challenge, `error="invalid_token"`) {
			t.Fatalf("want 401 invalid_token, got %v (challenge %q)", a, challenge)
		}
	case want == noToken:
		if a.status != 401 || code == "invalid_token" || strings.Contains(challenge, "error=") {
			t.Fatalf("want 401 without an error code, got %v (challenge %q)", a, challenge)
		}
	}
	if a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("refusal with Cache-Control %q", a.header.Get("Cache-Control"))
	}
}

// tokenRow is one hostile token.
type tokenRow struct {
	name, rfc string
	on        *issuer                     // whose resource server is attacked
	header    func(t testing.TB) []string // Authorization header values
	want      outcome
}

func bearer(f func(t testing.TB) string) func(t testing.TB) []string {
	return func(t testing.TB) []string { return []string{"Bearer " + f(t)} }
}

// hostileTokens presents the catalogue of RFC 8725 and of the well-known
// JWT attacks to the resource servers. Most tokens carry a valid
// signature by the authorization server's real key, so that only the
// property under test can get them refused; the control rows prove that
// such forgeries are otherwise accepted.
func (s *suite) hostileTokens(t *testing.T) {
	f := s.newForgery(t)
	rows := slices.Concat(f.controlRows(), f.algorithmRows(), f.headerRows(), f.claimRows(),
		f.kindAndShapeRows(), f.encodingRows(), f.sizeRows())
	// The query string is never read (RFC 6750 §2.3 allows it; RFC 9700
	// §4.3.2 and RFC 6750 §5.3 advise against it).
	t.Run("access_token in the query string is not a credential [RFC 6750 §5.3]", func(t *testing.T) {
		a := s.do(t, request{method: "GET", url: s.ra.URL + "/search?query=apple&access_token=" + f.web.Access})
		wantOutcome(t, a, noToken)
	})
	for _, r := range rows {
		t.Run(r.name+" ["+r.rfc+"]", func(t *testing.T) {
			values := r.header(t)
			for _, v := range values {
				if len(v) > 32 && len(v) < 1<<19 {
					s.secret(strings.TrimPrefix(v, "Bearer "))
				}
			}
			wantOutcome(t, s.search(t, r.on.rs.URL, values...), r.want)
		})
	}
}

// forgery is what the hostile tokens are made of: the real keys of two
// authorization servers, the attacker's own key material, and real tokens
// to present where they do not belong.
type forgery struct {
	a, b   *issuer // server a signs with RS256, b with ES256
	rsaKey *rsa.PrivateKey
	ecKey  *ecdsa.PrivateKey

	// The public key of a in every encoding an HS256 confusion attack
	// tries, and as a publishes it.
	derPKIX, derPKCS1, pemPKIX, pemPKCS1 []byte
	jwkRaw                               []byte
	n                                    string // the JWK's modulus

	// The attacker's own key, certificate and key set.
	evilSign signer
	evilJWK  map[string]any
	cert     []byte
	attacker string // the attacker's server
	jku      string // its key set

	web      tokens // a's, for a user
	otherAud tokens // a's, for another resource
	fromB    tokens // b's

	exactClaims string // how the claims of a's tokens write iss
}

func (s *suite) newForgery(t *testing.T) *forgery {
	f := &forgery{a: newIssuer(s.a, s.ra), b: newIssuer(s.b, s.rb), attacker: s.attacker.URL, jku: s.attacker.URL + "/jwks.json"}
	if f.a.alg != "RS256" || f.b.alg != "ES256" {
		t.Fatalf("servers sign with %s and %s, want RS256 and ES256", f.a.alg, f.b.alg)
	}
	f.rsaKey = f.a.key.(*rsa.PrivateKey)
	f.ecKey = f.b.key.(*ecdsa.PrivateKey)

	var err error
	f.derPKIX, err = x509.MarshalPKIXPublicKey(&f.rsaKey.PublicKey)
	must(t, err)
	f.derPKCS1 = x509.MarshalPKCS1PublicKey(&f.rsaKey.PublicKey)
	f.pemPKIX = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: f.derPKIX})
	f.pemPKCS1 = pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: f.derPKCS1})
	var jwkKeys []map[string]any
	f.jwkRaw, jwkKeys = f.a.jwks(t)
	f.n, _ = jwkKeys[0]["n"].(string)
	if f.n == "" || jwkKeys[0]["kid"] != f.a.kid {
		t.Fatalf("JWKS %s does not hold the signing key %s", f.jwkRaw, f.a.kid)
	}

	evil, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	f.evilJWK = map[string]any{"kty": "RSA", "kid": "attacker", "alg": "RS256", "use": "sig",
		"n": b64(evil.N.Bytes()), "e": b64(big.NewInt(int64(evil.E)).Bytes())}
	f.cert, err = x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkixName("attacker"), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkixName("attacker")}, &evil.PublicKey, evil)
	must(t, err)
	f.evilSign = rsSigner(evil, crypto.SHA256)

	f.web = s.mustTokens(t, s.login(t, s.a, "web", s.webSecret, "tester", s.password, s.newAddr()))
	f.otherAud = s.mustTokens(t, s.do(t, request{url: s.a.URL + "/token", from: s.newAddr(),
		header: formHeader("Authorization", basic("other", s.othSecret)), body: form("grant_type", "client_credentials")}))
	f.fromB = s.mustTokens(t, s.login(t, s.b, "web", s.bWeb, "tester", s.password, ""))
	f.exactClaims = `"iss":` + mustJSON(f.a.auth.URL)
	return f
}

// evilToken is a token of a's, with the header members changed, signed
// with the attacker's key.
func (f *forgery) evilToken(header map[string]any) func(t testing.TB) string {
	return func(t testing.TB) string { return jws(t, f.a.header(header), f.a.claims(nil), f.evilSign) }
}

// exp is claims that change exp to v.
func (f *forgery) exp(v any) map[string]any { return map[string]any{"exp": v} }

// forged is a token of a's with the given header members and claims
// changed, signed with a's real key.
func (f *forgery) forged(header, claims map[string]any) func(t testing.TB) []string {
	return bearer(func(t testing.TB) string { return f.a.token(t, header, claims) })
}

// rawClaims replaces text in the JSON of valid claims, to write what an
// encoder would not: repeated members, escapes, huge numbers.
func (f *forgery) rawClaims(is *issuer, old, new string) func(t testing.TB) []string {
	return bearer(func(t testing.TB) string {
		c := is.claims(nil)
		if !strings.Contains(c, old) {
			t.Fatalf("claims %s do not contain %q", c, old)
		}
		return jws(t, is.header(nil), strings.Replace(c, old, new, 1), is.sign())
	})
}

// rawHeader is a token of a's with the header h, as written.
func (f *forgery) rawHeader(h string) func(t testing.TB) []string {
	return bearer(func(t testing.TB) string { return jws(t, h, f.a.claims(nil), f.a.sign()) })
}

// hs is a token of a's labelled alg and signed with HMAC-h keyed with
// secret.
func (f *forgery) hs(alg string, h crypto.Hash, secret []byte) func(t testing.TB) []string {
	return bearer(func(t testing.TB) string {
		return jws(t, f.a.header(map[string]any{"alg": alg}), f.a.claims(nil), hsSigner(secret, h))
	})
}

// none is a token of a's labelled alg, with the signature sig makes.
func (f *forgery) none(alg string, sig signer) func(t testing.TB) []string {
	return bearer(func(t testing.TB) string {
		return jws(t, f.a.header(map[string]any{"alg": alg}), f.a.claims(nil), sig)
	})
}

// valid is a valid token of is.
func (f *forgery) valid(is *issuer) func(t testing.TB) string {
	return func(t testing.TB) string { return is.token(t, nil, nil) }
}

// withSig is a token of is with the signature sig makes.
func (f *forgery) withSig(is *issuer, sig func(t testing.TB, input []byte) []byte) func(t testing.TB) []string {
	return bearer(func(t testing.TB) string { return jws(t, is.header(nil), is.claims(nil), sig) })
}

// controlRows are the controls: forgeries with the real keys, and a real token, are accepted.
func (f *forgery) controlRows() []tokenRow {
	a, b := f.a, f.b
	return []tokenRow{
		{"control: a token forged with the real RS256 key is accepted", "RFC 9068 §4", a, bearer(f.valid(a)), accepted},
		{"control: a token forged with the real ES256 key is accepted", "RFC 9068 §4", b, bearer(f.valid(b)), accepted},
		{"control: a real access token is accepted", "RFC 9068 §4", a, bearer(func(testing.TB) string { return f.web.Access }), accepted},
	}
}

// algorithmRows are alg none, the HMAC confusion and the other algorithm swaps.
func (f *forgery) algorithmRows() []tokenRow {
	a, b := f.a, f.b
	return []tokenRow{
		// alg none, in any case (RFC 8725 §2.1, §3.1; RFC 7518 §3.6).
		{`alg "none"`, "RFC 8725 §3.1", a, f.none("none", nil), invalidToken},
		{`alg "None"`, "RFC 8725 §3.1", a, f.none("None", nil), invalidToken},
		{`alg "NONE"`, "RFC 8725 §3.1", a, f.none("NONE", nil), invalidToken},
		{`alg "nOnE"`, "RFC 8725 §3.1", a, f.none("nOnE", nil), invalidToken},
		{`alg "none" with a real RS256 signature`, "RFC 8725 §3.1", a, f.none("none", a.sign()), invalidToken},
		{`alg "none" with no signature segment at all`, "RFC 8725 §3.1", a, bearer(func(t testing.TB) string {
			return strings.TrimSuffix(jws(t, a.header(map[string]any{"alg": "none"}), a.claims(nil), nil), ".")
		}), invalidToken},
		{"no alg", "RFC 7515 §4.1.1", a, f.forged(map[string]any{"alg": del{}}, nil), invalidToken},
		{"alg not a string", "RFC 7515 §4.1.1", a, f.forged(map[string]any{"alg": []string{"RS256"}}, nil), invalidToken},

		// RS256 → HS256 with the public key as the HMAC secret, in every encoding.
		{"HS256 keyed with the public key as PEM (PKIX)", "RFC 8725 §2.1, §3.1", a, f.hs("HS256", crypto.SHA256, f.pemPKIX), invalidToken},
		{"HS256 keyed with the PEM without its final newline", "RFC 8725 §2.1, §3.1", a, f.hs("HS256", crypto.SHA256, []byte(strings.TrimSpace(string(f.pemPKIX)))), invalidToken},
		{"HS256 keyed with the public key as PEM (PKCS #1)", "RFC 8725 §2.1, §3.1", a, f.hs("HS256", crypto.SHA256, f.pemPKCS1), invalidToken},
		{"HS256 keyed with the public key as DER (PKIX)", "RFC 8725 §2.1, §3.1", a, f.hs("HS256", crypto.SHA256, f.derPKIX), invalidToken},
		{"HS256 keyed with the public key as DER (PKCS #1)", "RFC 8725 §2.1, §3.1", a, f.hs("HS256", crypto.SHA256, f.derPKCS1), invalidToken},
		{"HS256 keyed with the JWK's n, decoded", "RFC 8725 §2.1, §3.1", a, f.hs("HS256", crypto.SHA256, unb64(f.n)), invalidToken},
		{"HS256 keyed with the JWK's n, as published", "RFC 8725 §2.1, §3.1", a, f.hs("HS256", crypto.SHA256, []byte(f.n)), invalidToken},
		{"HS256 keyed with the whole published JWK", "RFC 8725 §2.1, §3.1", a, f.hs("HS256", crypto.SHA256, f.jwkRaw), invalidToken},
		{"HS384 keyed with the public key as PEM", "RFC 8725 §2.1, §3.1", a, f.hs("HS384", crypto.SHA384, f.pemPKIX), invalidToken},
		{"HS512 keyed with the public key as PEM", "RFC 8725 §2.1, §3.1", a, f.hs("HS512", crypto.SHA512, f.pemPKIX), invalidToken},
		{"ES256 → HS256 keyed with the EC public key", "RFC 8725 §2.1, §3.1", b, bearer(func(t testing.TB) string {
			der, err := x509.MarshalPKIXPublicKey(&f.ecKey.PublicKey)
			must(t, err)
			return jws(t, b.header(map[string]any{"alg": "HS256"}), b.claims(nil), hsSigner(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), crypto.SHA256))
		}), invalidToken},

		// Other algorithm swaps (RFC 8725 §3.1).
		{"RS384 signed with the real key", "RFC 8725 §3.1", a, bearer(func(t testing.TB) string {
			return jws(t, a.header(map[string]any{"alg": "RS384"}), a.claims(nil), rsSigner(f.rsaKey, crypto.SHA384))
		}), invalidToken},
		{"RS512 signed with the real key", "RFC 8725 §3.1", a, bearer(func(t testing.TB) string {
			return jws(t, a.header(map[string]any{"alg": "RS512"}), a.claims(nil), rsSigner(f.rsaKey, crypto.SHA512))
		}), invalidToken},
		{"PS256 signed with the real key", "RFC 8725 §3.1", a, bearer(func(t testing.TB) string {
			return jws(t, a.header(map[string]any{"alg": "PS256"}), a.claims(nil), psSigner(f.rsaKey, crypto.SHA256))
		}), invalidToken},
		{"RS256 signature labelled ES256", "RFC 8725 §3.1", a, bearer(func(t testing.TB) string {
			return jws(t, a.header(map[string]any{"alg": "ES256"}), a.claims(nil), a.sign())
		}), invalidToken},
		{"RS256 signature labelled EdDSA", "RFC 8725 §3.1", a, bearer(func(t testing.TB) string {
			return jws(t, a.header(map[string]any{"alg": "EdDSA"}), a.claims(nil), a.sign())
		}), invalidToken},
		{"ES256 signature labelled RS256", "RFC 8725 §3.1", b, bearer(func(t testing.TB) string {
			return jws(t, b.header(map[string]any{"alg": "RS256"}), b.claims(nil), b.sign())
		}), invalidToken},
		{"alg with a trailing space", "RFC 8725 §3.1", a, f.forged(map[string]any{"alg": "RS256 "}, nil), invalidToken},
		{"alg in lower case", "RFC 8725 §3.1", a, f.forged(map[string]any{"alg": "rs256"}, nil), invalidToken},
	}
}

// headerRows are what a header names: kid, keys carried or pointed to by the token, crit.
func (f *forgery) headerRows() []tokenRow {
	a := f.a
	return []tokenRow{
		// kid injection (RFC 8725 §3.10; RFC 7515 §4.1.4).
		{"kid a path", "RFC 8725 §3.10", a, f.forged(map[string]any{"kid": "../../../../../../dev/null"}, nil), invalidToken},
		{"kid an absolute path", "RFC 8725 §3.10", a, f.forged(map[string]any{"kid": "/etc/passwd"}, nil), invalidToken},
		{"kid a file URL", "RFC 8725 §3.10", a, f.forged(map[string]any{"kid": "file:///etc/passwd"}, nil), invalidToken},
		{"kid an SQL injection", "RFC 8725 §3.10", a, f.forged(map[string]any{"kid": "' OR '1'='1' --"}, nil), invalidToken},
		{"kid with quotes", "RFC 8725 §3.10", a, f.forged(map[string]any{"kid": `x", "alg": "none`}, nil), invalidToken},
		{"kid with a NUL", "RFC 8725 §3.10", a, f.forged(map[string]any{"kid": a.kid + "\x00"}, nil), invalidToken},
		{"kid with a trailing space", "RFC 8725 §3.10", a, f.forged(map[string]any{"kid": a.kid + " "}, nil), invalidToken},
		{"kid in another case", "RFC 7515 §4.1.4", a, f.forged(map[string]any{"kid": strings.ToUpper(a.kid)}, nil), invalidToken},
		{"kid empty", "RFC 7515 §4.1.4", a, f.forged(map[string]any{"kid": ""}, nil), invalidToken},
		{"kid absent", "RFC 7515 §4.1.4", a, f.forged(map[string]any{"kid": del{}}, nil), invalidToken},
		{"kid of 257 characters", "RFC 8725 §3.10", a, f.forged(map[string]any{"kid": strings.Repeat("k", 257)}, nil), invalidToken},
		{"kid of 6000 characters", "RFC 8725 §3.10", a, f.forged(map[string]any{"kid": strings.Repeat("k", 6000)}, nil), invalidToken},
		{"kid a number", "RFC 7515 §4.1.4", a, f.forged(map[string]any{"kid": 1}, nil), invalidToken},
		{"kid null", "RFC 7515 §4.1.4", a, f.forged(map[string]any{"kid": nil}, nil), invalidToken},
		{"kid an object", "RFC 7515 §4.1.4", a, f.forged(map[string]any{"kid": map[string]any{"kid": a.kid}}, nil), invalidToken},
		{"kid an array", "RFC 7515 §4.1.4", a, f.forged(map[string]any{"kid": []string{a.kid}}, nil), invalidToken},
		{"kid true", "RFC 7515 §4.1.4", a, f.forged(map[string]any{"kid": true}, nil), invalidToken},

		// Keys named by the token itself: never fetched, never used.
		{"jku to the attacker's key set", "RFC 8725 §3.10, RFC 7515 §4.1.2", a, bearer(f.evilToken(map[string]any{"jku": f.jku, "kid": "attacker"})), invalidToken},
		{"jku to the attacker's key set, with the real kid", "RFC 8725 §3.10, RFC 7515 §4.1.2", a, bearer(f.evilToken(map[string]any{"jku": f.jku})), invalidToken},
		{"x5u to the attacker's certificate", "RFC 8725 §3.10, RFC 7515 §4.1.5", a, bearer(f.evilToken(map[string]any{"x5u": f.attacker + "/cert.pem", "kid": "attacker"})), invalidToken},
		{"jwk: the attacker's key embedded", "RFC 8725 §3.10, RFC 7515 §4.1.3", a, bearer(f.evilToken(map[string]any{"jwk": f.evilJWK, "kid": del{}})), invalidToken},
		{"jwk: the attacker's key embedded, with the real kid", "RFC 8725 §3.10, RFC 7515 §4.1.3", a, bearer(f.evilToken(map[string]any{"jwk": f.evilJWK})), invalidToken},
		{"x5c: the attacker's certificate embedded", "RFC 8725 §3.10, RFC 7515 §4.1.6", a, bearer(f.evilToken(map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(f.cert)}, "kid": "attacker"})), invalidToken},
		{"x5c with the real kid", "RFC 8725 §3.10, RFC 7515 §4.1.6", a, bearer(f.evilToken(map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(f.cert)}})), invalidToken},
		{"jku, x5u, jwk and x5c at once", "RFC 8725 §3.10", a, bearer(f.evilToken(map[string]any{"jku": f.jku, "x5u": f.jku, "jwk": f.evilJWK, "x5c": []string{base64.StdEncoding.EncodeToString(f.cert)}})), invalidToken},
		{"control: jku and x5u on a genuine token are ignored, never fetched", "RFC 8725 §3.10", a, f.forged(map[string]any{"jku": f.jku, "x5u": f.jku}, nil), accepted},

		// crit (RFC 7515 §4.1.11).
		{`crit ["exp"]`, "RFC 7515 §4.1.11", a, f.forged(map[string]any{"crit": []string{"exp"}, "exp": 1}, nil), invalidToken},
		{`crit ["b64"] with b64 false`, "RFC 7515 §4.1.11, RFC 7797 §3", a, f.forged(map[string]any{"crit": []string{"b64"}, "b64": false}, nil), invalidToken},
		{"crit empty", "RFC 7515 §4.1.11", a, f.forged(map[string]any{"crit": []string{}}, nil), invalidToken},
		{"crit a string", "RFC 7515 §4.1.11", a, f.forged(map[string]any{"crit": "exp"}, nil), invalidToken},
	}
}

// claimRows are the times, the issuer and the audience.
func (f *forgery) claimRows() []tokenRow {
	a := f.a
	return []tokenRow{
		// exp, nbf, iat (RFC 7519 §4.1.4-6; RFC 9068 §2.2, §4).
		{"exp missing", "RFC 9068 §2.2", a, f.forged(nil, f.exp(del{})), invalidToken},
		{"exp null", "RFC 9068 §2.2", a, f.forged(nil, f.exp(nil)), invalidToken},
		{"exp a string holding a future date", "RFC 7519 §2, §4.1.4", a, f.forged(nil, f.exp(fmt.Sprint(time.Now().Add(time.Hour).Unix()))), invalidToken},
		{"exp a word", "RFC 7519 §4.1.4", a, f.forged(nil, f.exp("tomorrow")), invalidToken},
		{"exp in the year 33658", "RFC 7519 §4.1.4", a, f.forged(nil, f.exp(int64(1e12))), invalidToken},
		{"exp past int64 seconds", "RFC 7519 §4.1.4", a, f.rawClaims(a, `"exp":`, `"exp":1e20,"x":`), invalidToken},
		{"exp past float64", "RFC 7519 §4.1.4", a, f.rawClaims(a, `"exp":`, `"exp":1e400,"x":`), invalidToken},
		{"exp negative", "RFC 7519 §4.1.4", a, f.forged(nil, f.exp(-1)), invalidToken},
		{"exp an hour ago", "RFC 7519 §4.1.4", a, f.forged(nil, f.exp(time.Now().Add(-time.Hour).Unix())), invalidToken},
		{"nbf an hour ahead", "RFC 7519 §4.1.5", a, f.forged(nil, map[string]any{"nbf": time.Now().Add(time.Hour).Unix()}), invalidToken},
		{"iat an hour ahead", "RFC 7519 §4.1.6", a, f.forged(nil, map[string]any{"iat": time.Now().Add(time.Hour).Unix()}), invalidToken},
		{"iat at the epoch: a 56-year lifetime", "RFC 9068 §2.2", a, f.forged(nil, map[string]any{"iat": 0}), invalidToken},

		// iss and aud (RFC 8725 §3.8, §3.9; RFC 9068 §4).
		{"iss with a trailing slash", "RFC 8725 §3.8", a, f.forged(nil, map[string]any{"iss": a.auth.URL + "/"}), invalidToken},
		{"iss in upper case", "RFC 8725 §3.8", a, f.forged(nil, map[string]any{"iss": strings.ToUpper(a.auth.URL)}), invalidToken},
		{"iss of another server", "RFC 8725 §3.8", a, f.forged(nil, map[string]any{"iss": "https://evil.example"}), invalidToken},
		{"iss missing", "RFC 9068 §2.2", a, f.forged(nil, map[string]any{"iss": del{}}), invalidToken},
		{"iss an array", "RFC 7519 §4.1.1", a, f.forged(nil, map[string]any{"iss": []string{a.auth.URL}}), invalidToken},
		{"aud of another resource", "RFC 8725 §3.9", a, f.forged(nil, map[string]any{"aud": "other-api"}), invalidToken},
		{"aud a prefix of ours", "RFC 8725 §3.9", a, f.forged(nil, map[string]any{"aud": "search"}), invalidToken},
		{"aud with a trailing space", "RFC 8725 §3.9", a, f.forged(nil, map[string]any{"aud": "search-api "}), invalidToken},
		{"aud a number", "RFC 7519 §4.1.3", a, f.forged(nil, map[string]any{"aud": 7}), invalidToken},
		{"aud an object", "RFC 7519 §4.1.3", a, f.forged(nil, map[string]any{"aud": map[string]any{"aud": "search-api"}}), invalidToken},
		{"aud an array holding a number", "RFC 7519 §4.1.3", a, f.forged(nil, map[string]any{"aud": []any{"search-api", 1}}), invalidToken},
		{"aud empty", "RFC 9068 §2.2", a, f.forged(nil, map[string]any{"aud": []string{}}), invalidToken},
		{"aud missing", "RFC 9068 §2.2", a, f.forged(nil, map[string]any{"aud": del{}}), invalidToken},
	}
}

// kindAndShapeRows are other kinds of token, and tokens of the wrong shape.
func (f *forgery) kindAndShapeRows() []tokenRow {
	a := f.a
	return []tokenRow{
		// Other kinds of token (RFC 8725 §2.8, §3.11; RFC 9068 §2.1, §4).
		{`typ "JWT"`, "RFC 8725 §3.11, RFC 9068 §4", a, f.forged(map[string]any{"typ": "JWT"}, nil), invalidToken},
		{"typ missing", "RFC 8725 §3.11, RFC 9068 §4", a, f.forged(map[string]any{"typ": del{}}, nil), invalidToken},
		{`typ "application/jwt"`, "RFC 8725 §3.11", a, f.forged(map[string]any{"typ": "application/jwt"}, nil), invalidToken},
		{`typ "at+jwt2"`, "RFC 8725 §3.11", a, f.forged(map[string]any{"typ": "at+jwt2"}, nil), invalidToken},
		{"an ID token", "RFC 8725 §2.8, §3.11", a, f.forged(map[string]any{"typ": "JWT"}, map[string]any{
			"aud": "web", "azp": "web", "nonce": "n-0S6_WzA2Mj", "auth_time": time.Now().Unix(), "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "client_id": del{}}), invalidToken},
		{"an ID token for this audience, without typ", "RFC 8725 §2.8, §3.11", a, f.forged(map[string]any{"typ": del{}}, map[string]any{
			"nonce": "n-0S6_WzA2Mj", "auth_time": time.Now().Unix()}), invalidToken},
		{"a refresh token", "RFC 6749 §1.5, RFC 8725 §2.8", a, bearer(func(testing.TB) string { return f.web.Refresh }), invalidToken},
		{"a real access token for another resource", "RFC 8707 §2, RFC 9068 §4", a, bearer(func(testing.TB) string { return f.otherAud.Access }), invalidToken},
		{"a real access token of another authorization server", "RFC 8725 §3.8", a, bearer(func(testing.TB) string { return f.fromB.Access }), invalidToken},

		// Shape (RFC 7515 §7.1; RFC 7516 §9; RFC 6750 §2.1).
		{"one segment", "RFC 7515 §7.1", a, bearer(func(t testing.TB) string { return strings.Split(f.valid(a)(t), ".")[0] }), invalidToken},
		{"two segments", "RFC 7515 §7.1", a, bearer(func(t testing.TB) string { v := f.valid(a)(t); return v[:strings.LastIndexByte(v, '.')] }), invalidToken},
		{"four segments", "RFC 7515 §7.1", a, bearer(func(t testing.TB) string { return f.valid(a)(t) + ".AAAA" }), invalidToken},
		{"five segments, as JWE", "RFC 7516 §9", a, bearer(func(t testing.TB) string { return f.valid(a)(t) + ".AAAA.BBBB" }), invalidToken},
		{"empty segments", "RFC 7515 §7.1", a, bearer(func(testing.TB) string { return ".." }), invalidToken},
		{"5 000 dots", "RFC 7515 §7.1", a, bearer(func(testing.TB) string { return strings.Repeat(".", 5000) }), invalidToken},
		{"100 000 dots", "RFC 9110 §5.4", a, bearer(func(testing.TB) string { return strings.Repeat(".", 100000) }), tooLarge},
		{"a space inside a segment", "RFC 6750 §2.1", a, bearer(func(t testing.TB) string { v := f.valid(a)(t); return v[:20] + " " + v[20:] }), invalidRequest},
		{"a tab inside a segment", "RFC 6750 §2.1", a, bearer(func(t testing.TB) string { v := f.valid(a)(t); return v[:20] + "\t" + v[20:] }), invalidRequest},
		{"+ and / for - and _", "RFC 7515 §2", a, bearer(func(t testing.TB) string {
			for {
				v := f.valid(a)(t)
				if strings.ContainsAny(v, "-_") {
					return strings.NewReplacer("-", "+", "_", "/").Replace(v)
				}
			}
		}), invalidToken},
		{"= padding after the signature", "RFC 7515 §2", a, bearer(func(t testing.TB) string { return f.valid(a)(t) + "==" }), invalidToken},
		{"= inside a segment", "RFC 6750 §2.1", a, bearer(func(t testing.TB) string { v := f.valid(a)(t); return v[:20] + "=" + v[20:] }), invalidRequest},
		{"invalid UTF-8 in the header field", "RFC 6750 §2.1", a, bearer(func(t testing.TB) string { v := f.valid(a)(t); return v[:20] + "\xff\xfe" + v[20:] }), invalidRequest},
		{"invalid UTF-8 inside a signed claim", "RFC 8725 §3.7", a, f.rawClaims(a, `"sub":"tester"`, "\"sub\":\"test\xffer\""), invalidToken},
		{"invalid UTF-8 inside the signed header", "RFC 8725 §3.7", a, f.rawHeader(strings.Replace(a.header(nil), `"typ"`, "\"x\":\"\xc3\x28\",\"typ\"", 1)), invalidToken},
	}
}

// encodingRows are repeated and case-variant members, and ECDSA signatures.
func (f *forgery) encodingRows() []tokenRow {
	a, b := f.a, f.b
	return []tokenRow{
		// Repeated and case-variant member names (RFC 7519 §4; RFC 7515 §4).
		{"sub twice", "RFC 7519 §4", a, f.rawClaims(a, `"sub":"tester"`, `"sub":"tester","sub":"admin"`), invalidToken},
		{"sub twice, once escaped", "RFC 7519 §4", a, f.rawClaims(a, `"sub":"tester"`, `"sub":"tester","\u0073ub":"admin"`), invalidToken},
		{"aud twice", "RFC 7519 §4", a, f.rawClaims(a, f.exactClaims, f.exactClaims+`,"aud":"other-api"`), invalidToken},
		{"scope twice", "RFC 7519 §4", a, f.rawClaims(a, `"scope":"search"`, `"scope":"none","scope":"search"`), invalidToken},
		{"SUB beside sub", "RFC 7519 §4", a, f.rawClaims(a, `"sub":"tester"`, `"sub":"tester","SUB":"admin"`), invalidToken},
		{"EXP instead of exp", "RFC 7519 §4", a, f.rawClaims(a, `"exp":`, `"EXP":`), invalidToken},
		{"Aud instead of aud", "RFC 7519 §4", a, f.rawClaims(a, `"aud":`, `"Aud":`), invalidToken},
		{"sub spelled with a long s", "RFC 7519 §4", a, f.rawClaims(a, `"sub":"tester"`, `"\u017fub":"tester"`), invalidToken},
		{"alg twice in the header, none first", "RFC 7515 §4", a, f.rawHeader(`{"alg":"none","kid":"` + a.kid + `","typ":"at+jwt","alg":"RS256"}`), invalidToken},
		{"alg twice in the header, none last", "RFC 7515 §4", a, f.rawHeader(`{"alg":"RS256","kid":"` + a.kid + `","typ":"at+jwt","alg":"none"}`), invalidToken},
		{"ALG beside alg in the header", "RFC 7515 §4", a, f.rawHeader(`{"alg":"RS256","ALG":"none","kid":"` + a.kid + `","typ":"at+jwt"}`), invalidToken},
		{"kid twice in the header", "RFC 7515 §4", a, f.rawHeader(`{"alg":"RS256","kid":"x","typ":"at+jwt","kid":"` + a.kid + `"}`), invalidToken},

		// ECDSA signatures (RFC 7518 §3.4).
		{"ES256 signature of 64 zero bytes", "RFC 7518 §3.4", b, f.withSig(b, constSigner(make([]byte, 64))), invalidToken},
		{"ES256 signature empty", "RFC 7518 §3.4", b, f.withSig(b, nil), invalidToken},
		{"ES256 signature DER-encoded", "RFC 7518 §3.4", b, f.withSig(b, esDER(f.ecKey)), invalidToken},
		{"ES256 signature r=0, s=0 DER-encoded", "RFC 7518 §3.4", b, f.withSig(b, func(t testing.TB, _ []byte) []byte {
			der, _ := asn1.Marshal(struct{ R, S *big.Int }{big.NewInt(0), big.NewInt(0)})
			return der
		}), invalidToken},
		{"ES256 signature with r and s swapped", "RFC 7518 §3.4", b, f.withSig(b, func(t testing.TB, in []byte) []byte {
			sig := esSigner(f.ecKey)(t, in)
			return append(append([]byte{}, sig[32:]...), sig[:32]...)
		}), invalidToken},
		{"ES256 signature with r = n, the group order", "RFC 7518 §3.4", b, f.withSig(b, func(t testing.TB, in []byte) []byte {
			sig := esSigner(f.ecKey)(t, in)
			f.ecKey.Curve.Params().N.FillBytes(sig[:32])
			return sig
		}), invalidToken},
		{"ES256 signature one byte short", "RFC 7518 §3.4", b, f.withSig(b, func(t testing.TB, in []byte) []byte { return esSigner(f.ecKey)(t, in)[:63] }), invalidToken},
	}
}

// sizeRows are deep nesting, size and the number of headers.
func (f *forgery) sizeRows() []tokenRow {
	a := f.a
	return []tokenRow{
		// Nesting (RFC 8725 §2.6: what parsers disagree on, or choke on).
		{"claims nested 2 500 deep", "RFC 8725 §2.6", a, f.rawClaims(a, `"sub":"tester"`, `"sub":"tester","x":`+strings.Repeat("[", 2500)+strings.Repeat("]", 2500)), invalidToken},
		{"header nested 2 500 deep", "RFC 8725 §2.6", a, f.rawHeader(strings.Replace(a.header(nil), `"typ"`, `"x":`+strings.Repeat("[", 2500)+strings.Repeat("]", 2500)+`,"typ"`, 1)), invalidToken},

		// Size and number of headers (RFC 9110 §5.4; RFC 6750 §3.1).
		{"a 60 KB token", "RFC 9110 §5.4", a, bearer(func(t testing.TB) string {
			return jws(t, a.header(nil), a.claims(map[string]any{"pad": strings.Repeat("p", 45<<10)}), a.sign())
		}), invalidToken},
		{"a 1 MB Authorization header", "RFC 9110 §5.4, RFC 6585 §5", a, bearer(func(testing.TB) string { return strings.Repeat("A", 1<<20) }), tooLarge},
		{"two Authorization headers", "RFC 6750 §3.1", a, func(t testing.TB) []string {
			v := "Bearer " + f.valid(a)(t)
			return []string{v, v}
		}, invalidRequest},
		{"Bearer without a token", "RFC 6750 §2.1", a, func(testing.TB) []string { return []string{"Bearer "} }, invalidRequest},
		{"Bearer with two tokens", "RFC 6750 §2.1", a, func(t testing.TB) []string { return []string{"Bearer " + f.valid(a)(t) + " " + f.valid(a)(t)} }, invalidRequest},
	}
}

func pkixName(cn string) pkix.Name { return pkix.Name{CommonName: cn} }
