package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/claims"
)

// checkMembersReference is checkMembers as it was written first, walking
// the object with encoding/json's token reader: the reference
// FuzzCheckMembers holds the one-pass scanner to.
func checkMembersReference(raw []byte, known, numeric []string) error {
	if err := checkText(raw); err != nil {
		return err
	}
	malformed := fmt.Errorf("%w: not a JSON object", ErrMalformed)
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return malformed
	}
	seen := make(map[string]struct{}, 16)
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return malformed
		}
		name, ok := t.(string)
		if !ok {
			return malformed
		}
		if _, dup := seen[name]; dup {
			return fmt.Errorf("%w: a member appears twice", ErrMalformed)
		}
		seen[name] = struct{}{}
		for _, k := range known {
			if name != k && len(name) <= 3*len(k) && strings.EqualFold(name, k) {
				return fmt.Errorf("%w: member %q differs from %q only in case", ErrMalformed, shortName(name), k)
			}
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return malformed
		}
		if isOneOf(name, numeric) && !isNumberOrNull([]byte(v)) {
			return fmt.Errorf("%w: %q is not a number", ErrMalformed, name)
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return malformed
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed
	}
	return nil
}

// FuzzCheckMembers: checkMembers accepts exactly the texts the reference
// accepts, and refuses the others with an error matching ErrMalformed,
// for the header's and the claims' rules alike.
func FuzzCheckMembers(f *testing.F) {
	for _, s := range []string{
		`{"alg":"RS256","typ":"at+jwt","kid":"k"}`,
		`{"iss":"a","sub":"b","aud":["x",{"y":[1,2]}],"exp":1e9,"iat":-1.5,"nbf":null,"jti":"\"}"}`,
		` { "a" : "b" , "c" : [ ] } `,
		`{"\u0073ub":"x","sub":"y"}`, `{"SUB":1}`, `{"ſub":1}`, `{"exp":"1"}`, `{"exp":true}`,
		`{"a":1}{"b":2}`, `{"a":1,}`, `{"a" 1}`, `[1]`, `null`, `{}`, ``, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}",
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"a":18}`,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"q":19}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, rules := range []struct{ known, numeric []string }{{headerNames, nil}, {claimNames, dateNames}} {
			got, want := checkMembers([]byte(s), rules.known, rules.numeric), checkMembersReference([]byte(s), rules.known, rules.numeric)
			if (got == nil) != (want == nil) {
				t.Fatalf("checkMembers(%q) = %v, the reference %v", s, got, want)
			}
			if got != nil && !errors.Is(got, ErrMalformed) {
				t.Fatalf("checkMembers(%q) = %v, not ErrMalformed", s, got)
			}
		}
	})
}

// FuzzVerifyAgainstJWT: a token Verify accepts, golang-jwt's parser, set
// to the same algorithms, keys and claims checks, accepts too, with the
// same claims. Verify is stricter (the type, members twice or in another
// case, dates as numbers, the required claims, the lifetime), so a token
// only golang-jwt accepts is no failure.
func FuzzVerifyAgainstJWT(f *testing.F) {
	keys := newFakeKeys()
	v := newVerifier(f, keys, Options{})
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		tok := sign(f, spec{alg: alg})
		if _, err := v.Verify(context.Background(), tok); err != nil {
			f.Fatalf("%s seed refused: %v", alg, err)
		}
		f.Add(tok)
	}
	f.Add(sign(f, spec{claims: map[string]any{"aud": []any{audience, "other"}, "nbf": 1.5e9, "cnf": map[string]any{"jkt": "x"}}}))
	f.Add(sign(f, spec{claims: map[string]any{"exp": "1767323045"}}))
	p := jwt.NewParser(jwt.WithValidMethods(DefaultAlgorithms()), jwt.WithIssuer(issuer), jwt.WithAudience(audience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(DefaultLeeway), jwt.WithTimeFunc(clock))
	keyOf := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, err := keys.Key(context.Background(), kid)
		if err != nil || k.Algorithm != t.Method.Alg() {
			return nil, errors.New("no key for this algorithm")
		}
		return k.Key, nil
	}
	f.Fuzz(func(t *testing.T, token string) {
		ours, err := v.Verify(context.Background(), token)
		if err != nil {
			return
		}
		var theirs claims.AccessToken
		if _, err := p.ParseWithClaims(token, &theirs, keyOf); err != nil {
			t.Fatalf("Verify accepted %q, golang-jwt refused it: %v", token, err)
		}
		if !reflect.DeepEqual(*ours, theirs) {
			t.Fatalf("claims of %q:\nVerify     %+v\ngolang-jwt %+v", token, *ours, theirs)
		}
	})
}

// FuzzDecodeClaims: what decodeClaims accepts, json.Unmarshal decodes
// into claims.AccessToken alike (its dates through jwt.NumericDate, as
// golang-jwt's parser does), and what checkMembers refuses, decodeClaims
// refuses.
func FuzzDecodeClaims(f *testing.F) {
	f.Add(`{"iss":"i","sub":"s","aud":["a","b"],"exp":1767322245.5,"iat":-1,"nbf":null,"jti":"\u006a","client_id":"c","scope":"x y","sid":"f","cnf":{"jkt":"t"},"act":{"sub":"x","act":{"sub":"y"}}}`)
	f.Add(`{"aud":"a","exp":1e9,"x":{"iss":1}}`)
	f.Add(`{"iss":1}`)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := decodeClaims([]byte(s))
		if checkMembers([]byte(s), claimNames, dateNames) != nil {
			if err == nil {
				t.Fatalf("decodeClaims(%q) accepted what checkMembers refuses", s)
			}
			return
		}
		var want claims.AccessToken
		wantErr := json.Unmarshal([]byte(s), &want)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decodeClaims(%q) error %v, json.Unmarshal %v", s, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(*got, want) {
			t.Fatalf("decodeClaims(%q) = %+v, json.Unmarshal %+v", s, *got, want)
		}
	})
}
