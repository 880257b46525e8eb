package verify

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// signRaw signs a header and a payload given as raw JSON, so that tests
// can forge what no JSON encoder writes: repeated members, member names
// that differ in case, invalid UTF-8, trailing data.
func signRaw(t testing.TB, alg, header, payload string) string {
	t.Helper()
	_, key := signKey(alg)
	in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	sig, err := jwt.GetSigningMethod(alg).Sign(in, key)
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

const edHeader = `{"alg":"EdDSA","typ":"at+jwt","kid":"ed"}`

// claimsJSON is a valid payload with extra appended inside the object.
func claimsJSON(extra string) string {
	return fmt.Sprintf(`{"iss":%q,"aud":[%q],"exp":%d,"iat":%d,"jti":"j","client_id":"web","sub":"alice"%s}`,
		issuer, audience, now.Add(5*time.Minute).Unix(), now.Add(-time.Minute).Unix(), extra)
}

// TestVerifyRefusesHostileTokens holds the attacks of RFC 8725 and the
// JWT attack catalogue that need a valid signature to get anywhere: every
// one of them is signed with a key the verifier trusts.
func TestVerifyRefusesHostileTokens(t *testing.T) {
	k := keys()
	iat := now.Add(-time.Minute).Unix()
	tests := []struct {
		name  string
		token func(t testing.TB) string
		want  []error // any of these; nil: accepted
	}{
		{"control: raw payload accepted", func(t testing.TB) string { return signRaw(t, "EdDSA", edHeader, claimsJSON("")) }, nil},
		{"control: 24h lifetime accepted", func(t testing.TB) string {
			return sign(t, spec{claims: map[string]any{"iat": iat, "exp": iat + int64(MaxLifetime/time.Second)}})
		}, nil},

		// Repeated and case-variant member names (RFC 7519 §4).
		{"claim repeated", func(t testing.TB) string { return signRaw(t, "EdDSA", edHeader, claimsJSON(`,"sub":"admin"`)) }, []error{ErrMalformed}},
		{"claim repeated through an escape", func(t testing.TB) string {
			return signRaw(t, "EdDSA", edHeader, claimsJSON(`,"\u0073ub":"admin"`))
		}, []error{ErrMalformed}},
		{"aud repeated", func(t testing.TB) string { return signRaw(t, "EdDSA", edHeader, claimsJSON(`,"aud":"other"`)) }, []error{ErrMalformed}},
		{"claim in another case", func(t testing.TB) string { return signRaw(t, "EdDSA", edHeader, claimsJSON(`,"Sub":"admin"`)) }, []error{ErrMalformed}},
		{"exp only in upper case", func(t testing.TB) string {
			return signRaw(t, "EdDSA", edHeader, strings.Replace(claimsJSON(""), `"exp"`, `"EXP"`, 1))
		}, []error{ErrMalformed}},
		{"claim with a long s", func(t testing.TB) string {
			return signRaw(t, "EdDSA", edHeader, strings.Replace(claimsJSON(""), `"sub"`, `"\u017fub"`, 1))
		}, []error{ErrMalformed}},
		{"claim with a Kelvin sign", func(t testing.TB) string {
			return signRaw(t, "EdDSA", `{"alg":"EdDSA","typ":"at+jwt","\u212aid":"x","kid":"ed"}`, claimsJSON(""))
		}, []error{ErrMalformed}},
		{"header alg repeated", func(t testing.TB) string {
			return signRaw(t, "EdDSA", `{"alg":"none","typ":"at+jwt","kid":"ed","alg":"EdDSA"}`, claimsJSON(""))
		}, []error{ErrMalformed}},
		{"header ALG in upper case", func(t testing.TB) string {
			return signRaw(t, "EdDSA", `{"alg":"EdDSA","ALG":"none","typ":"at+jwt","kid":"ed"}`, claimsJSON(""))
		}, []error{ErrMalformed}},
		{"unknown claims in two cases are no matter", func(t testing.TB) string {
			return signRaw(t, "EdDSA", edHeader, claimsJSON(`,"foo":1,"FOO":2`))
		}, nil},

		// Invalid UTF-8 (RFC 8725 §3.7).
		{"invalid UTF-8 in a claim", func(t testing.TB) string {
			return signRaw(t, "EdDSA", edHeader, strings.Replace(claimsJSON(""), `"alice"`, "\"al\xffice\"", 1))
		}, []error{ErrMalformed}},
		{"invalid UTF-8 in the header", func(t testing.TB) string {
			return signRaw(t, "EdDSA", `{"alg":"EdDSA","typ":"at+jwt","kid":"ed","x":"`+"\xc3\x28"+`"}`, claimsJSON(""))
		}, []error{ErrMalformed}},

		// Not one JSON object.
		{"trailing data", func(t testing.TB) string { return signRaw(t, "EdDSA", edHeader, claimsJSON("")+` {}`) }, []error{ErrMalformed}},
		{"payload an array", func(t testing.TB) string { return signRaw(t, "EdDSA", edHeader, `[`+claimsJSON("")+`]`) }, []error{ErrMalformed}},
		{"payload a string", func(t testing.TB) string { return signRaw(t, "EdDSA", edHeader, `"x"`) }, []error{ErrMalformed}},

		// Dates (RFC 7519 §2 NumericDate; RFC 9068 §2.2).
		{"exp a string holding a number", func(t testing.TB) string {
			return sign(t, spec{claims: map[string]any{"exp": fmt.Sprint(now.Add(time.Minute).Unix())}})
		}, []error{ErrMalformed}},
		{"iat a string", func(t testing.TB) string { return sign(t, spec{claims: map[string]any{"iat": fmt.Sprint(iat)}}) }, []error{ErrMalformed}},
		{"nbf a string", func(t testing.TB) string { return sign(t, spec{claims: map[string]any{"nbf": fmt.Sprint(iat)}}) }, []error{ErrMalformed}},
		{"exp an object", func(t testing.TB) string { return sign(t, spec{claims: map[string]any{"exp": map[string]any{}}}) }, []error{ErrMalformed}},
		{"exp null", func(t testing.TB) string { return sign(t, spec{claims: map[string]any{"exp": nil}}) }, []error{ErrMissingClaim}},
		{"exp a day and a second after iat", func(t testing.TB) string {
			return sign(t, spec{claims: map[string]any{"iat": iat, "exp": iat + int64(MaxLifetime/time.Second) + 1}})
		}, []error{ErrLifetime}},
		{"exp in the year 33658", func(t testing.TB) string { return sign(t, spec{claims: map[string]any{"exp": int64(1e12)}}) }, []error{ErrLifetime}},
		{"exp past int64 seconds", func(t testing.TB) string {
			return signRaw(t, "EdDSA", edHeader, strings.Replace(claimsJSON(""), fmt.Sprintf(`"exp":%d`, now.Add(5*time.Minute).Unix()), `"exp":1e20`, 1))
		}, []error{ErrLifetime, ErrExpired}}, // what int64(1e20) is depends on the platform; refused either way
		{"exp past float64", func(t testing.TB) string {
			return signRaw(t, "EdDSA", edHeader, strings.Replace(claimsJSON(""), fmt.Sprintf(`"exp":%d`, now.Add(5*time.Minute).Unix()), `"exp":1e400`, 1))
		}, []error{ErrMalformed}},
		{"exp hugely negative", func(t testing.TB) string {
			return signRaw(t, "EdDSA", edHeader, strings.Replace(claimsJSON(""), fmt.Sprintf(`"exp":%d`, now.Add(5*time.Minute).Unix()), `"exp":-1e20`, 1))
		}, []error{ErrExpired, ErrLifetime}},
		{"iat in the distant past", func(t testing.TB) string { return sign(t, spec{claims: map[string]any{"iat": 0}}) }, []error{ErrLifetime}},

		// ECDSA signatures (RFC 7518 §3.4: R || S, 32 bytes each).
		{"ES256 signature of zeros", func(t testing.TB) string {
			parts := strings.Split(sign(t, spec{alg: "ES256"}), ".")
			return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 64))
		}, []error{ErrSignature}},
		{"ES256 signature r=0, s=0 in DER", func(t testing.TB) string {
			parts := strings.Split(sign(t, spec{alg: "ES256"}), ".")
			der, _ := asn1.Marshal(struct{ R, S *big.Int }{big.NewInt(0), big.NewInt(0)})
			return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(der)
		}, []error{ErrSignature}},
		{"ES256 valid signature DER-encoded", func(t testing.TB) string {
			parts := strings.Split(sign(t, spec{alg: "ES256"}), ".")
			sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
			der, err := ecdsa.SignASN1(rand.Reader, k.p256, sum[:])
			if err != nil {
				t.Fatal(err)
			}
			return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(der)
		}, []error{ErrSignature}},
		{"ES256 signature with r and s swapped", func(t testing.TB) string {
			parts := strings.Split(sign(t, spec{alg: "ES256"}), ".")
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			swapped := slices.Concat(sig[32:], sig[:32])
			return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(swapped)
		}, []error{ErrSignature}},
		{"ES256 signature with a byte more", func(t testing.TB) string {
			return sign(t, spec{alg: "ES256"}) + "AA"
		}, []error{ErrSignature, ErrMalformed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, newFakeKeys(), Options{})
			tok := tt.token(t)
			c, err := v.Verify(t.Context(), tok)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, with claims %+v", c)
			}
			if !slices.ContainsFunc(tt.want, func(w error) bool { return errors.Is(err, w) }) {
				t.Fatalf("err = %v, want one of %v", err, tt.want)
			}
			if strings.Contains(err.Error(), tok) {
				t.Errorf("the error repeats the token")
			}
		})
	}
}

// TestVerifyBoundsWorkOnHugeAndDeepInput: a token over MaxTokenSize is
// refused before it is looked at, and the most hostile tokens that fit
// (deep nesting, many members, many dots) cost a bounded amount of
// memory, not one that grows with what the token claims.
func TestVerifyBoundsWorkOnHugeAndDeepInput(t *testing.T) {
	v := newVerifier(t, newFakeKeys(), Options{})
	fill := func(prefix, unit, suffix string) string {
		n := (DefaultMaxTokenSize - len(prefix) - len(suffix)) / len(unit)
		return prefix + strings.Repeat(unit, n) + suffix
	}
	seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	deep := strings.Repeat("[", 2500) + strings.Repeat("]", 2500)
	members := ""
	for i := range 400 {
		members += fmt.Sprintf(`,"m%d":%d`, i, i)
	}
	wide := "[" + strings.Repeat("[],", 1500) + "[]]"
	tests := []struct {
		name     string
		token    string
		valid    bool
		maxBytes uint64 // allocated per Verify
	}{
		{"1 MB", strings.Repeat("A", 1<<20), false, 1 << 10},
		{"8 KiB of dots", strings.Repeat(".", DefaultMaxTokenSize), false, 4 << 10},
		{"8 KiB of one segment", fill("", "A", ""), false, 4 << 10},
		{"deeply nested header", seg(`{"alg":"EdDSA","typ":"at+jwt","kid":"ed","x":`+deep+`}`) + ".e30.AA", false, 64 << 10},
		{"deeply nested claims", signRaw(t, "EdDSA", edHeader, claimsJSON(`,"x":`+deep)), false, 64 << 10},
		{"nested just deep enough", signRaw(t, "EdDSA", edHeader, claimsJSON(`,"x":`+strings.Repeat("[", MaxJSONDepth-1)+strings.Repeat("]", MaxJSONDepth-1))), true, 64 << 10},
		{"a wide array in the header", seg(`{"alg":"EdDSA","typ":"at+jwt","kid":"ed","x":`+wide+`}`) + ".e30.AA", false, 256 << 10},
		{"a wide array in the claims", signRaw(t, "EdDSA", edHeader, claimsJSON(`,"x":`+wide)), true, 256 << 10},
		{"hundreds of members", signRaw(t, "EdDSA", edHeader, claimsJSON(members)), true, 256 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.token) > DefaultMaxTokenSize && tt.valid {
				t.Fatalf("the token is %d bytes, over the bound", len(tt.token))
			}
			if _, err := v.Verify(t.Context(), tt.token); (err == nil) != tt.valid {
				t.Fatalf("Verify = %v, want accepted: %v", err, tt.valid)
			}
			const runs = 20
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				_, _ = v.Verify(t.Context(), tt.token)
			}
			runtime.ReadMemStats(&after)
			if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > tt.maxBytes {
				t.Errorf("%d bytes allocated per Verify of a %d-byte token, want at most %d", per, len(tt.token), tt.maxBytes)
			} else {
				t.Logf("%d bytes allocated per Verify of a %d-byte token", per, len(tt.token))
			}
		})
	}
}
