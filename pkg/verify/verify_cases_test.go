package verify

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// verifyCase is one token TestVerify presents, and what Verify must make
// of it.
type verifyCase struct {
	name string
	// spec is the token to sign, unless raw is set.
	spec spec
	// raw builds the token by hand from the three segments of a valid one.
	raw  func(t testing.TB, valid []string) string
	opts Options
	want error // nil: accepted
}

// token returns the case's token.
func (c verifyCase) token(t testing.TB, valid []string) string {
	if c.raw != nil {
		return c.raw(t, valid)
	}
	return sign(t, c.spec)
}

// verifyCases is every row of TestVerify.
func verifyCases() []verifyCase {
	return slices.Concat(acceptedCases(), shapeCases(), algorithmCases(), typeCases(), keyCases(), claimCases())
}

func header(h map[string]any) spec { return spec{header: h} }
func claim(c map[string]any) spec  { return spec{claims: c} }
func at(d time.Duration) int64     { return now.Add(d).Unix() }

func acceptedCases() []verifyCase {
	leeway := DefaultLeeway
	return []verifyCase{
		{name: "RS256", spec: spec{alg: "RS256"}},
		{name: "ES256", spec: spec{alg: "ES256"}},
		{name: "EdDSA", spec: spec{alg: "EdDSA"}},
		{name: "PS256 when allowed", spec: spec{alg: "PS256"}, opts: Options{Algorithms: []string{"PS256"}}},
		{name: "ES384 when allowed", spec: spec{alg: "ES384"}, opts: Options{Algorithms: []string{"ES384"}}},
		{name: "typ upper case", spec: header(map[string]any{"typ": "AT+JWT"})},
		{name: "typ with application/", spec: header(map[string]any{"typ": "application/at+jwt"})},
		{name: "typ with Application/", spec: header(map[string]any{"typ": "Application/At+Jwt"})},
		{name: "one audience of several", spec: claim(map[string]any{"aud": []string{"other", audience}})},
		{name: "audience as a string", spec: claim(map[string]any{"aud": audience})},
		{name: "expired within leeway", spec: claim(map[string]any{"exp": at(-leeway + time.Second)})},
		{name: "nbf within leeway", spec: claim(map[string]any{"nbf": at(leeway - time.Second)})},
		{name: "iat within leeway", spec: claim(map[string]any{"iat": at(leeway - time.Second)})},
		{name: "jku, x5u, jwk and x5c ignored", spec: header(map[string]any{"jku": "http://127.0.0.1:1/jwks", "x5u": "http://127.0.0.1:1/x5u",
			"jwk": map[string]any{"kty": "OKP"}, "x5c": []string{"AAAA"}})},
	}
}

// join makes a token of three segments.
func join(header, payload, signature string) string { return header + "." + payload + "." + signature }

func shapeCases() []verifyCase {
	return []verifyCase{
		{name: "too large", raw: func(_ testing.TB, v []string) string {
			return strings.Join(v, ".") + strings.Repeat("A", DefaultMaxTokenSize)
		}, want: ErrTooLarge},
		{name: "over a custom bound", raw: func(_ testing.TB, v []string) string { return strings.Join(v, ".") },
			opts: Options{MaxTokenSize: 64}, want: ErrTooLarge},
		{name: "empty", raw: func(testing.TB, []string) string { return "" }, want: ErrMalformed},
		{name: "one segment", raw: func(_ testing.TB, v []string) string { return v[0] }, want: ErrMalformed},
		{name: "two segments", raw: func(_ testing.TB, v []string) string { return v[0] + "." + v[1] }, want: ErrMalformed},
		{name: "four segments", raw: func(_ testing.TB, v []string) string { return strings.Join(v, ".") + ".AAAA" }, want: ErrMalformed},
		{name: "five segments (JWE)", raw: func(_ testing.TB, v []string) string { return strings.Join(v, ".") + ".AAAA.BBBB" }, want: ErrMalformed},
		{name: "header not base64url", raw: func(_ testing.TB, v []string) string { return join("e30=", v[1], v[2]) }, want: ErrMalformed},
		{name: "header not JSON", raw: func(_ testing.TB, v []string) string {
			return join(base64.RawURLEncoding.EncodeToString([]byte("{")), v[1], v[2])
		}, want: ErrMalformed},
		{name: "header JSON null", raw: func(_ testing.TB, v []string) string { return join(seg(nil), v[1], v[2]) }, want: ErrMalformed},
		{name: "header a JSON array", raw: func(_ testing.TB, v []string) string { return join(seg([]int{1}), v[1], v[2]) }, want: ErrMalformed},
		{name: "payload not base64url", raw: func(_ testing.TB, v []string) string { return join(v[0], "!!", v[2]) }, want: ErrMalformed},
		{name: "payload not JSON", raw: func(_ testing.TB, v []string) string { return join(v[0], seg("x")[:2], v[2]) }, want: ErrMalformed},
		{name: "signature not base64url", raw: func(_ testing.TB, v []string) string { return join(v[0], v[1], "!!") }, want: ErrMalformed},
		{name: "exp a string", spec: claim(map[string]any{"exp": "tomorrow"}), want: ErrMalformed},
		{name: "aud a number", spec: claim(map[string]any{"aud": 7}), want: ErrMalformed},
		{name: "no kid", spec: header(map[string]any{"kid": del{}}), want: ErrMalformed},
		{name: "kid not a string", spec: header(map[string]any{"kid": 1}), want: ErrMalformed},
		{name: "kid too long", spec: header(map[string]any{"kid": strings.Repeat("k", MaxKeyIDLength+1)}), want: ErrMalformed},
	}
}

func algorithmCases() []verifyCase {
	k := keys()
	return []verifyCase{
		{name: "alg none", raw: func(t testing.TB, _ []string) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims(defaultClaims()))
			tok.Header["typ"], tok.Header["kid"] = "at+jwt", "ed"
			s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, want: ErrAlgorithm},
		{name: "alg None", raw: func(_ testing.TB, v []string) string {
			return join(seg(map[string]any{"alg": "None", "typ": "at+jwt", "kid": "ed"}), v[1], "")
		}, want: ErrAlgorithm},
		{name: "HS256 with the public key as secret", spec: spec{alg: "HS256", key: k.rsaPublicKeyPEM, header: map[string]any{"kid": "rsa"}}, want: ErrAlgorithm},
		{name: "HS256 with the raw modulus as secret", spec: spec{alg: "HS256", key: k.rsa.N.Bytes(), header: map[string]any{"kid": "rsa"}}, want: ErrAlgorithm},
		{name: "alg absent", raw: func(_ testing.TB, v []string) string {
			return join(seg(map[string]any{"typ": "at+jwt", "kid": "ed"}), v[1], v[2])
		}, want: ErrAlgorithm},
		{name: "alg not on the allowlist", spec: spec{alg: "PS256"}, want: ErrAlgorithm},
		{name: "alg not the key's", spec: spec{alg: "RS384", header: map[string]any{"kid": "rsa"}},
			opts: Options{Algorithms: []string{"RS256", "RS384"}}, want: ErrAlgorithm},
		{name: "ES256 naming an RSA key", spec: spec{alg: "ES256", header: map[string]any{"kid": "rsa"}}, want: ErrAlgorithm},
		{name: "key source lying about the algorithm", spec: spec{alg: "ES256", header: map[string]any{"kid": "liar"}}, want: ErrAlgorithm},
	}
}

func typeCases() []verifyCase {
	return []verifyCase{
		{name: "typ absent", spec: header(map[string]any{"typ": del{}}), want: ErrType},
		{name: "typ JWT", spec: header(map[string]any{"typ": "JWT"}), want: ErrType},
		{name: "typ application/jwt", spec: header(map[string]any{"typ": "application/jwt"}), want: ErrType},
		{name: "typ application/ alone", spec: header(map[string]any{"typ": "application/"}), want: ErrType},
		{name: "typ with suffix", spec: header(map[string]any{"typ": "at+jwt2"}), want: ErrType},
		{name: "typ not a string", spec: header(map[string]any{"typ": 1}), want: ErrType},
		{name: "crit", spec: header(map[string]any{"crit": []string{"exp"}, "exp": 1}), want: ErrCritical},
		{name: "crit b64", spec: header(map[string]any{"crit": []string{"b64"}, "b64": false}), want: ErrCritical},
		{name: "crit empty", spec: header(map[string]any{"crit": []string{}}), want: ErrCritical},
		{name: "crit null", spec: header(map[string]any{"crit": nil}), want: ErrCritical},
	}
}

func keyCases() []verifyCase {
	k := keys()
	// embedded signs with a stranger's key a token whose header holds that
	// key as a JWK under kid.
	embedded := func(kid string) func(t testing.TB, _ []string) string {
		return func(t testing.TB, _ []string) string {
			jwk, err := jwks.FromPublicKey(kid, "EdDSA", k.edStranger.Public())
			if err != nil {
				t.Fatal(err)
			}
			return sign(t, spec{key: k.edStranger, header: map[string]any{"kid": kid, "jwk": jwk}})
		}
	}
	return []verifyCase{
		{name: "kid unknown", spec: spec{key: k.edStranger, header: map[string]any{"kid": "stranger"}}, want: ErrUnknownKey},
		{name: "embedded jwk with an unknown kid", raw: embedded("attacker"), want: ErrUnknownKey},
		{name: "embedded jwk with a known kid", raw: embedded("ed"), want: ErrSignature},
		{name: "signed by a key not in the set", spec: spec{key: k.edStranger}, want: ErrSignature},
		{name: "ES256 signed by another key", spec: spec{alg: "ES256", key: k.p256Stranger}, want: ErrSignature},
		{name: "tampered payload", raw: func(_ testing.TB, v []string) string {
			c := defaultClaims()
			c["scope"] = "search admin"
			return join(v[0], seg(c), v[2])
		}, want: ErrSignature},
		{name: "tampered header", raw: func(_ testing.TB, v []string) string {
			return join(seg(map[string]any{"alg": "EdDSA", "typ": "AT+JWT", "kid": "ed"}), v[1], v[2])
		}, want: ErrSignature},
		{name: "signature truncated", raw: func(t testing.TB, v []string) string {
			sig, err := base64.RawURLEncoding.DecodeString(v[2])
			if err != nil {
				t.Fatal(err)
			}
			return join(v[0], v[1], base64.RawURLEncoding.EncodeToString(sig[:32]))
		}, want: ErrSignature},
		{name: "signature with non-canonical base64", raw: func(_ testing.TB, v []string) string {
			valid := strings.Join(v, ".")
			return valid[:len(valid)-1] + string(valid[len(valid)-1]^1)
		}, want: ErrMalformed},
		{name: "signature empty", raw: func(_ testing.TB, v []string) string { return join(v[0], v[1], "") }, want: ErrSignature},
		{name: "RS256 signature of another token", raw: func(t testing.TB, _ []string) string {
			other := strings.Split(sign(t, spec{alg: "RS256", claims: map[string]any{"sub": "bob"}}), ".")
			mine := strings.Split(sign(t, spec{alg: "RS256"}), ".")
			return join(mine[0], mine[1], other[2])
		}, want: ErrSignature},
	}
}

func claimCases() []verifyCase {
	leeway := DefaultLeeway
	return []verifyCase{
		{name: "expired", spec: claim(map[string]any{"exp": at(-leeway - time.Second)}), want: ErrExpired},
		{name: "expired at the leeway's end", spec: claim(map[string]any{"exp": at(-leeway)}), want: ErrExpired},
		{name: "expired with a shorter leeway", spec: claim(map[string]any{"exp": at(-10 * time.Second)}),
			opts: Options{Leeway: 5 * time.Second}, want: ErrExpired},
		{name: "nbf in the future", spec: claim(map[string]any{"nbf": at(leeway + time.Second)}), want: ErrNotYetValid},
		{name: "iat in the future", spec: claim(map[string]any{"iat": at(leeway + time.Second)}), want: ErrNotYetValid},
		{name: "other issuer", spec: claim(map[string]any{"iss": "https://evil.example"}), want: ErrIssuer},
		{name: "issuer with a trailing slash", spec: claim(map[string]any{"iss": issuer + "/"}), want: ErrIssuer},
		{name: "issuer differing in case", spec: claim(map[string]any{"iss": strings.ToUpper(issuer)}), want: ErrIssuer},
		{name: "other audience", spec: claim(map[string]any{"aud": []string{"billing-api"}}), want: ErrAudience},
		{name: "audience prefix", spec: claim(map[string]any{"aud": "search"}), want: ErrAudience},
		{name: "other audience and expired", spec: claim(map[string]any{"aud": "billing-api", "exp": at(-time.Hour)}), want: ErrAudience},
		{name: "no exp", spec: claim(map[string]any{"exp": del{}}), want: ErrMissingClaim},
		{name: "no iss", spec: claim(map[string]any{"iss": del{}}), want: ErrMissingClaim},
		{name: "no aud", spec: claim(map[string]any{"aud": del{}}), want: ErrMissingClaim},
		{name: "empty aud", spec: claim(map[string]any{"aud": []string{}}), want: ErrMissingClaim},
		{name: "no sub", spec: claim(map[string]any{"sub": del{}}), want: ErrMissingClaim},
		{name: "no client_id", spec: claim(map[string]any{"client_id": del{}}), want: ErrMissingClaim},
		{name: "no iat", spec: claim(map[string]any{"iat": del{}}), want: ErrMissingClaim},
		{name: "no jti", spec: claim(map[string]any{"jti": del{}}), want: ErrMissingClaim},
	}
}
