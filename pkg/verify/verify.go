package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// KeySource finds the public key a token names in its "kid" header.
// Implementations return an error wrapping jwks.ErrUnknownKey when there is
// no such key, and any other error (such as jwks.ErrUnavailable) when they
// cannot tell.
type KeySource interface {
	Key(ctx context.Context, kid string) (jwks.PublicKey, error)
}

var _ KeySource = (*jwks.Remote)(nil)

// Defaults of Options.
const (
	DefaultLeeway       = 30 * time.Second
	DefaultMaxTokenSize = 8 << 10
	// MaxLeeway bounds Options.Leeway: clock skew is a matter of seconds.
	MaxLeeway = 5 * time.Minute
	// MaxKeyIDLength bounds the "kid" header.
	MaxKeyIDLength = 256
)

// DefaultAlgorithms are the JWS algorithms accepted when
// Options.Algorithms is empty: those the fastsafe authorization server
// signs with.
func DefaultAlgorithms() []string { return []string{"RS256", "ES256", "EdDSA"} }

// Options configures a Verifier.
type Options struct {
	// Issuer must equal the token's "iss" exactly. Required.
	Issuer string
	// Audience, the identifier of this resource server, must be one of the
	// token's "aud" values. Required.
	Audience string
	// OtherAudiences are further identifiers of this resource server, such
	// as its RFC 9728 resource URL, which RFC 8707 clients ask tokens for:
	// a token for any one of them, or for Audience, is accepted.
	OtherAudiences []string
	// Algorithms is the allowlist of JWS algorithms. Default
	// DefaultAlgorithms(). Only asymmetric algorithms that jwks supports
	// (jwks.SupportedAlgorithms) may be listed: never "none", never HS*.
	Algorithms []string
	// Leeway absorbs clock skew between the authorization server and this
	// one. It applies alike to "exp" (a token is accepted until exp+Leeway,
	// and no longer), "nbf" and "iat" (accepted from nbf-Leeway and
	// iat-Leeway). Zero means DefaultLeeway (30s); at most MaxLeeway.
	Leeway time.Duration
	// MaxTokenSize bounds the token, in bytes, before any parsing. Zero
	// means DefaultMaxTokenSize (8 KiB).
	MaxTokenSize int
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Errors returned by Verify, to be tested with errors.Is. Each failure
// matches exactly one of them. None of their messages contains the token.
var (
	ErrMalformed   = errors.New("verify: malformed token")
	ErrTooLarge    = errors.New("verify: token too large")
	ErrAlgorithm   = errors.New("verify: signing algorithm not allowed")
	ErrType        = errors.New(`verify: token type is not "at+jwt"`)
	ErrSignature   = errors.New("verify: invalid signature")
	ErrExpired     = errors.New("verify: token expired")
	ErrNotYetValid = errors.New("verify: token not valid yet")
	ErrIssuer      = errors.New("verify: wrong issuer")
	ErrAudience    = errors.New("verify: wrong audience")
	// ErrMissingClaim: one of the claims RFC 9068 requires (iss, exp, aud,
	// sub, client_id, iat, jti) is absent.
	ErrMissingClaim = errors.New("verify: required claim missing")
	ErrCritical     = errors.New("verify: critical header not understood")
	// ErrUnknownKey: the key set, fetched, has no key with the token's
	// "kid". It wraps jwks.ErrUnknownKey, so errors.Is(err,
	// jwks.ErrUnknownKey) holds too.
	ErrUnknownKey error = &wrapped{"verify: unknown signing key", jwks.ErrUnknownKey}
	// ErrKeysUnavailable: the token's "kid" is not cached and the key set
	// cannot be had now (the issuer is down or slow): whether the token
	// is valid cannot be told. Answer 503 with Retry-After, never 401,
	// so that its holder keeps it and tries again (package bearer does).
	ErrKeysUnavailable = errors.New("verify: signing keys unavailable")
)

type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

// Verifier checks RFC 9068 JWT access tokens. It is safe for concurrent
// use.
type Verifier struct {
	keys      KeySource
	methods   map[string]jwt.SigningMethod // by alg, for the allowlist
	validator *jwt.Validator
	algs      []string
	maxSize   int
	now       func() time.Time
}

// New returns a Verifier of the tokens of one issuer for one audience.
func New(keys KeySource, opts Options) (*Verifier, error) {
	if keys == nil {
		return nil, errors.New("verify: nil KeySource")
	}
	if opts.Issuer == "" {
		return nil, errors.New("verify: Issuer is required")
	}
	if opts.Audience == "" {
		return nil, errors.New("verify: Audience is required")
	}
	algs := slices.Clone(opts.Algorithms)
	if len(algs) == 0 {
		algs = DefaultAlgorithms()
	}
	supported := jwks.SupportedAlgorithms()
	for _, a := range algs {
		if !slices.Contains(supported, a) {
			return nil, fmt.Errorf("verify: algorithm %q not allowed (supported: %s)", a, strings.Join(supported, ", "))
		}
	}
	leeway := opts.Leeway
	switch {
	case leeway == 0:
		leeway = DefaultLeeway
	case leeway < 0 || leeway > MaxLeeway:
		return nil, fmt.Errorf("verify: Leeway %s outside (0, %s]", leeway, MaxLeeway)
	}
	maxSize := opts.MaxTokenSize
	switch {
	case maxSize == 0:
		maxSize = DefaultMaxTokenSize
	case maxSize < 0:
		return nil, errors.New("verify: negative MaxTokenSize")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	methods := make(map[string]jwt.SigningMethod, len(algs))
	for _, a := range algs {
		m := jwt.GetSigningMethod(a)
		if m == nil {
			return nil, fmt.Errorf("verify: algorithm %q has no implementation", a)
		}
		methods[a] = m
	}
	return &Verifier{
		keys:    keys,
		methods: methods,
		validator: jwt.NewValidator(
			jwt.WithIssuer(opts.Issuer),
			jwt.WithAudience(append([]string{opts.Audience}, opts.OtherAudiences...)...),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(leeway),
			jwt.WithTimeFunc(now),
		),
		algs:    algs,
		maxSize: maxSize,
		now:     now,
	}, nil
}

// b64 is the segment encoding: base64url without padding, strict (no
// stray bits in the last character), as RFC 7515 requires.
var b64 = base64.RawURLEncoding.Strict()

// Verify checks token and returns its claims.
//
// In order: the size bound; the compact form (exactly three segments: JWE
// and unsecured forms are refused); the header ("alg" on the allowlist,
// "typ" at+jwt, no "crit", a "kid"; "jku", "x5u", "jwk" and "x5c" are
// ignored and never fetched); the key, which must be meant for the header's
// algorithm; the signature; then the claims. The error matches one of the
// Err* values of this package.
func (v *Verifier) Verify(ctx context.Context, token string) (*claims.AccessToken, error) {
	if len(token) > v.maxSize {
		return nil, ErrTooLarge
	}
	if strings.Count(token, ".") != 2 {
		return nil, fmt.Errorf("%w: not a three-part JWS", ErrMalformed)
	}
	dot1, dot2 := strings.IndexByte(token, '.'), strings.LastIndexByte(token, '.')
	kid, alg, err := v.checkHeader(token[:dot1])
	if err != nil {
		return nil, err
	}
	// The token is taken apart once, here, and checked in the order of
	// golang-jwt's ParseWithClaims: payload, signature encoding, key,
	// signature, claims.
	payload, err := b64.DecodeString(token[dot1+1 : dot2])
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not base64url", ErrMalformed)
	}
	c, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	sig, err := b64.DecodeString(token[dot2+1:])
	if err != nil {
		return nil, fmt.Errorf("%w: signature is not base64url", ErrMalformed)
	}
	key, err := v.key(ctx, kid, alg)
	if err != nil {
		return nil, err
	}
	if err := v.methods[alg].Verify(token[:dot2], sig, key); err != nil {
		return nil, ErrSignature
	}
	if err := v.validator.Validate(c); err != nil {
		return nil, classify(err)
	}
	if err := requireClaims(c); err != nil {
		return nil, err
	}
	if err := checkLifetime(c); err != nil {
		return nil, err
	}
	return c, nil
}

// checkHeader decodes the JOSE header and checks it, before the payload is
// looked at.
func (v *Verifier) checkHeader(seg string) (kid, alg string, err error) {
	raw, err := b64.DecodeString(seg)
	if err != nil {
		return "", "", fmt.Errorf("%w: header is not base64url", ErrMalformed)
	}
	// The members of the header read: "alg", "typ" and "kid" as
	// json.Unmarshal would decode them into an interface, and whether
	// "crit" is there (even as null). readMembers refuses the members
	// whose names differ from these only in case, which json.Unmarshal
	// would take for them.
	var h struct {
		Alg, Typ, Kid any
		Crit          bool
	}
	err = readMembers(raw, headerNames, nil, func(name, value []byte) error {
		var member *any
		switch string(name) {
		case "alg":
			member = &h.Alg
		case "typ":
			member = &h.Typ
		case "kid":
			member = &h.Kid
		case "crit":
			h.Crit = true
			return nil
		default:
			return nil
		}
		if s, ok := plainString(value); ok {
			*member = s
			return nil
		}
		if json.Unmarshal(value, member) != nil {
			return fmt.Errorf("%w: header is not a JSON object", ErrMalformed)
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	alg, ok := h.Alg.(string)
	if !ok {
		return "", "", fmt.Errorf("%w: no alg", ErrAlgorithm)
	}
	if !slices.Contains(v.algs, alg) {
		return "", "", fmt.Errorf("%w: %q", ErrAlgorithm, alg)
	}
	if h.Crit {
		return "", "", ErrCritical
	}
	typ, _ := h.Typ.(string)
	if !isAccessTokenType(typ) {
		return "", "", ErrType
	}
	kid, ok = h.Kid.(string)
	switch {
	case !ok || kid == "":
		return "", "", fmt.Errorf("%w: no kid", ErrMalformed)
	case len(kid) > MaxKeyIDLength:
		return "", "", fmt.Errorf("%w: kid too long", ErrMalformed)
	}
	return kid, alg, nil
}

// isAccessTokenType reports whether typ names an RFC 9068 access token:
// "at+jwt", case-insensitively, with or without the "application/" prefix
// (RFC 7515 §4.1.9).
func isAccessTokenType(typ string) bool {
	if len(typ) > len("application/") && strings.EqualFold(typ[:len("application/")], "application/") {
		typ = typ[len("application/"):]
	}
	return strings.EqualFold(typ, claims.TokenType)
}

// key returns the key named kid, provided it is meant for alg.
func (v *Verifier) key(ctx context.Context, kid, alg string) (any, error) {
	k, err := v.keys.Key(ctx, kid)
	switch {
	case errors.Is(err, jwks.ErrUnknownKey) && !errors.Is(err, jwks.ErrUnavailable):
		return nil, fmt.Errorf("%w: %w", ErrUnknownKey, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	}
	if k.Algorithm != alg || !keyFits(alg, k.Key) {
		return nil, fmt.Errorf("%w: key %q is for %q, token says %q", ErrAlgorithm, kid, k.Algorithm, alg)
	}
	return k.Key, nil
}

// keyFits reports whether key is of the type (and curve) alg needs, so that
// a key source can never make an RSA key verify an ECDSA signature, or a
// public key serve as an HMAC secret.
func keyFits(alg string, key any) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256":
		_, ok := key.(*rsa.PublicKey)
		return ok
	case "ES256":
		k, ok := key.(*ecdsa.PublicKey)
		return ok && k.Curve == elliptic.P256()
	case "ES384":
		k, ok := key.(*ecdsa.PublicKey)
		return ok && k.Curve == elliptic.P384()
	case "EdDSA":
		k, ok := key.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize
	default:
		return false
	}
}

// classify maps an error of golang-jwt's claims validation to one of ours.
func classify(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return ErrSignature
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return ErrIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return ErrAudience
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return fmt.Errorf("%w: %w", ErrMissingClaim, err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return ErrNotYetValid
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// The parser found no usable "alg"; checkHeader rules that out.
		return fmt.Errorf("%w: %w", ErrAlgorithm, err)
	default:
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
}

// requireClaims checks the claims RFC 9068 §2.2 requires that the parser
// does not (it requires iss, aud and exp).
func requireClaims(c *claims.AccessToken) error {
	var missing string
	switch {
	case c.Subject == "":
		missing = "sub"
	case c.ClientID == "":
		missing = "client_id"
	case c.IssuedAt == nil:
		missing = "iat"
	case c.ID == "":
		missing = "jti"
	default:
		return nil
	}
	return fmt.Errorf("%w: %s", ErrMissingClaim, missing)
}
