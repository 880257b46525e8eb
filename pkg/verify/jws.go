package verify

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// JWSRules say what ParseJWS accepts of a compact JWS other than an
// access token (a client assertion, a DPoP proof), with the strictness
// Verify applies to access tokens.
type JWSRules struct {
	// MaxSize bounds the token, in bytes, before any parsing. Required.
	MaxSize int
	// Algorithms is the allowlist of "alg" values; each must be one of
	// jwks.SupportedAlgorithms (never "none", never HMAC). Required.
	Algorithms []string
	// HeaderMembers and ClaimMembers are the members the caller reads:
	// a member differing from one of them only in case is refused, as is
	// any member that appears twice. DateMembers must be JSON numbers.
	HeaderMembers, ClaimMembers, DateMembers []string
}

// Check reports whether the rules can be used.
func (r JWSRules) Check() error {
	if r.MaxSize <= 0 {
		return errors.New("verify: JWSRules.MaxSize must be positive")
	}
	if len(r.Algorithms) == 0 {
		return errors.New("verify: JWSRules.Algorithms is empty")
	}
	for _, a := range r.Algorithms {
		if !slices.Contains(jwks.SupportedAlgorithms(), a) || jwt.GetSigningMethod(a) == nil {
			return fmt.Errorf("verify: algorithm %q not allowed", a)
		}
	}
	return nil
}

// JWSHeader is the JOSE header of a JWS, as ParseJWS decodes it: the
// members a client assertion or a DPoP proof may carry, and those whose
// mere presence refuses one.
type JWSHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid"`
	// JWK is the key a DPoP proof carries, undecoded.
	JWK json.RawMessage `json:"jwk"`
	// Key references a DPoP proof must not carry, undecoded.
	Jku json.RawMessage `json:"jku"`
	X5u json.RawMessage `json:"x5u"`
	X5c json.RawMessage `json:"x5c"`
	// Crit is refused by ParseJWS: no extension is understood.
	Crit json.RawMessage `json:"crit"`
}

// JWS is a compact JWS taken apart by ParseJWS; its signature is not
// checked until VerifySignature.
type JWS struct {
	// Header is the decoded JOSE header; Alg its "alg", on the allowlist.
	Header JWSHeader
	Alg    string
	// Payload is the decoded payload: one JSON object, checked as the
	// rules say.
	Payload      []byte
	signingInput string
	signature    []byte
}

// ParseJWS takes token apart: at most rules.MaxSize bytes; three segments
// of strict base64url; a header and a payload that are each one UTF-8
// JSON object, at most MaxJSONDepth deep, without a repeated member or
// one differing only in case from a member the caller reads; "alg" on the
// allowlist; no "crit". Its errors match ErrTooLarge, ErrMalformed,
// ErrAlgorithm or ErrCritical, and never repeat the token.
func ParseJWS(token string, rules JWSRules) (*JWS, error) {
	if len(token) > rules.MaxSize {
		return nil, ErrTooLarge
	}
	if strings.Count(token, ".") != 2 {
		return nil, fmt.Errorf("%w: not a three-part JWS", ErrMalformed)
	}
	dot1, dot2 := strings.IndexByte(token, '.'), strings.LastIndexByte(token, '.')
	rawHeader, err := b64.DecodeString(token[:dot1])
	if err != nil {
		return nil, fmt.Errorf("%w: header is not base64url", ErrMalformed)
	}
	if err := checkMembers(rawHeader, rules.HeaderMembers, nil); err != nil {
		return nil, err
	}
	// The members are typed: a typ or kid that is not a string makes the
	// header malformed.
	var h JWSHeader
	if err := json.Unmarshal(rawHeader, &h); err != nil {
		return nil, fmt.Errorf("%w: header members of the wrong type", ErrMalformed)
	}
	alg := h.Alg
	if alg == "" {
		return nil, fmt.Errorf("%w: no alg", ErrAlgorithm)
	}
	if !slices.Contains(rules.Algorithms, alg) {
		return nil, fmt.Errorf("%w: %q", ErrAlgorithm, shortName(alg))
	}
	if h.Crit != nil {
		return nil, ErrCritical
	}
	payload, err := b64.DecodeString(token[dot1+1 : dot2])
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not base64url", ErrMalformed)
	}
	if err := checkMembers(payload, rules.ClaimMembers, rules.DateMembers); err != nil {
		return nil, err
	}
	sig, err := b64.DecodeString(token[dot2+1:])
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not base64url", ErrMalformed)
	}
	return &JWS{Header: h, Alg: alg, Payload: payload, signingInput: token[:dot2], signature: sig}, nil
}

// VerifySignature checks the signature with key, which must be of the
// type (and curve) the JWS's alg needs: ErrAlgorithm if it is not,
// ErrSignature if the signature does not verify.
func (j *JWS) VerifySignature(key crypto.PublicKey) error {
	if !keyFits(j.Alg, key) {
		return fmt.Errorf("%w: the key does not fit %q", ErrAlgorithm, j.Alg)
	}
	if err := jwt.GetSigningMethod(j.Alg).Verify(j.signingInput, j.signature, key); err != nil {
		return ErrSignature
	}
	return nil
}
