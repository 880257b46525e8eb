package verify

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/fastsafe/fastsafe/pkg/claims"
)

// TestPayloadMatchesClaims keeps payload in step with claims.AccessToken:
// the same members with the same JSON names.
func TestPayloadMatchesClaims(t *testing.T) {
	names := func(typ reflect.Type) map[string]string {
		m := map[string]string{}
		for f := range typ.Fields() {
			m[f.Name] = f.Tag.Get("json")
		}
		return m
	}
	got, want := names(reflect.TypeFor[payload]()), names(reflect.TypeFor[claims.AccessToken]())
	for n, tag := range want {
		// The names must match; ",omitempty" only matters for encoding.
		if g, ok := got[n]; !ok || jsonName(g) != jsonName(tag) {
			t.Errorf("claims.AccessToken.%s (json %q) is payload.%s (json %q)", n, tag, n, g)
		}
	}
	if len(got) != len(want) {
		t.Errorf("payload has %d members, claims.AccessToken %d", len(got), len(want))
	}
}

func jsonName(tag string) string {
	for i := range len(tag) {
		if tag[i] == ',' {
			return tag[:i]
		}
	}
	return tag
}

// TestDecodeClaimsAsGolangJWT decodes payloads both ways: through
// claims.AccessToken's own JSON decoding (jwt.NumericDate, as golang-jwt's
// parser does) and through decodeClaims, which must agree on the value or
// on the failure; decodeClaims also refuses what checkMembers refuses.
func TestDecodeClaimsAsGolangJWT(t *testing.T) {
	for _, tt := range []string{
		`{"iss":"i","sub":"s","aud":"a","exp":1767322245,"iat":1767322000,"nbf":1767322000,"jti":"j","client_id":"c","scope":"x y","sid":"f"}`,
		`{"aud":["a","b"],"exp":1767322245.75,"iat":"1767322000"}`,
		`{"exp":null,"iat":null,"nbf":null,"aud":null}`,
		`{"exp":-1,"iat":0}`,
		`{"exp":1e3}`,
		`{"exp":1e400}`,
		`{"exp":""}`,
		`{"exp":"soon"}`,
		`{"exp":true}`,
		`{"exp":{}}`,
		`{"exp":[1]}`,
		`{"aud":1}`,
		`{"aud":["a",1]}`,
		`{"EXP":5,"Sub":"case"}`,
		`{"exp":1,"exp":2}`,
		`{"unknown":1}`,
		`{"iss":"\u0069","sub":"a\"b","scope":null,"aud":"\u0061","cnf":{"jkt":"t"},"act":{"sub":"x"}}`,
		`{"iss":1}`,
		`{"cnf":[]}`,
		`{"jti":"\ud800"}`,
		`null`,
		`[]`,
		`"x"`,
		`{`,
		``,
	} {
		t.Run(tt, func(t *testing.T) {
			want := new(claims.AccessToken)
			wantErr := json.Unmarshal([]byte(tt), want)
			if refused := checkMembers([]byte(tt), claimNames, dateNames); refused != nil {
				// decodeClaims checks the members too.
				wantErr = refused
			}
			got, err := decodeClaims([]byte(tt))
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("decodeClaims error %v, golang-jwt's decoding %v", err, wantErr)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("decodeClaims error %v is not ErrMalformed", err)
			}
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Errorf("decodeClaims = %+v, want %+v", got, want)
			}
		})
	}
}
