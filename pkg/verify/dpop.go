package verify

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// DPoP proofs (RFC 9449).
const (
	// DPoPProofType is the "typ" of a DPoP proof.
	DPoPProofType = "dpop+jwt"
	// DefaultDPoPMaxAge is how old a proof's "iat" may be when
	// DPoPOptions.MaxAge is zero.
	DefaultDPoPMaxAge = time.Minute
	// MaxDPoPProofSize bounds a proof before it is parsed.
	MaxDPoPProofSize = 8 << 10
	// maxDPoPJTILen bounds a proof's "jti".
	maxDPoPJTILen = 256
)

// DefaultDPoPAlgorithms are the JWS algorithms of the proofs accepted
// when DPoPOptions.Algorithms is empty.
func DefaultDPoPAlgorithms() []string { return []string{"ES256", "EdDSA", "RS256"} }

// Errors of DPoPVerifier.Verify, to be tested with errors.Is. None of
// their messages repeats the proof or the token.
var (
	// ErrDPoPProof: the proof is malformed, badly signed, for another
	// request, too old, replayed, or its "ath" is not the token's hash
	// (error code invalid_dpop_proof).
	ErrDPoPProof = errors.New("verify: invalid DPoP proof")
	// ErrDPoPNonce: the server requires a nonce it issued, and the proof
	// has none or an old one (error code use_dpop_nonce): the client
	// retries with the nonce of the DPoP-Nonce header.
	ErrDPoPNonce = errors.New("verify: DPoP proof needs the server's nonce")
	// ErrDPoPBinding: the proof is signed by another key than the one
	// the access token is bound to (cnf.jkt).
	ErrDPoPBinding = errors.New("verify: DPoP proof key is not the token's")
)

// ReplayCache remembers one-time values, such as the "jti" of DPoP
// proofs, until they expire. UseOnce reports true the first time a key is
// used, and false while it is remembered. A cache shared by every
// replica of a service (a database, Redis) refuses a replay sent to
// another replica too; NewReplayCache is one in memory, for one process.
type ReplayCache interface {
	UseOnce(ctx context.Context, key string, expiresAt time.Time) (bool, error)
}

// NonceSource issues the nonces a server requires in DPoP proofs (RFC
// 9449 §8) and recognises them. *Nonces implements it.
type NonceSource interface {
	// Nonce returns the nonce to send in the DPoP-Nonce header now.
	Nonce() string
	// Valid reports whether nonce is one the source issued and still
	// accepts.
	Valid(nonce string) bool
}

// DPoPOptions configures a DPoPVerifier.
type DPoPOptions struct {
	// Algorithms is the allowlist of proof algorithms; default
	// DefaultDPoPAlgorithms(). Asymmetric only (jwks.SupportedAlgorithms).
	Algorithms []string
	// MaxAge is how old a proof may be, by its "iat"; default
	// DefaultDPoPMaxAge.
	MaxAge time.Duration
	// Leeway is how far in the future "iat" may be (clock skew); default
	// DefaultLeeway.
	Leeway time.Duration
	// Replay remembers the proofs seen, so that each is accepted once.
	// Default: NewReplayCache(DefaultReplayCacheSize, Now).
	Replay ReplayCache
	// Nonces, if not nil, makes every proof carry one of its nonces.
	Nonces NonceSource
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// DPoPVerifier checks DPoP proofs as RFC 9449 §4.3 says. It is safe for
// concurrent use.
type DPoPVerifier struct {
	rules  JWSRules
	algs   []string
	maxAge time.Duration
	leeway time.Duration
	replay ReplayCache
	nonces NonceSource
	now    func() time.Time
}

// NewDPoP returns a DPoPVerifier.
func NewDPoP(opts DPoPOptions) (*DPoPVerifier, error) {
	algs := slices.Clone(opts.Algorithms)
	if len(algs) == 0 {
		algs = DefaultDPoPAlgorithms()
	}
	v := &DPoPVerifier{
		rules: JWSRules{
			MaxSize:       MaxDPoPProofSize,
			Algorithms:    algs,
			HeaderMembers: []string{"typ", "alg", "jwk", "kid", "crit", "jku", "x5u", "x5c"},
			ClaimMembers:  []string{"jti", "htm", "htu", "iat", "ath", "nonce"},
			DateMembers:   []string{"iat"},
		},
		algs:   algs,
		maxAge: cmpOr(opts.MaxAge, DefaultDPoPMaxAge),
		leeway: cmpOr(opts.Leeway, DefaultLeeway),
		nonces: opts.Nonces,
		now:    opts.Now,
		replay: opts.Replay,
	}
	if err := v.rules.Check(); err != nil {
		return nil, err
	}
	if v.maxAge < 0 || v.leeway < 0 || v.leeway > MaxLeeway {
		return nil, errors.New("verify: DPoP MaxAge and Leeway must be positive, Leeway at most MaxLeeway")
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.replay == nil {
		v.replay = NewReplayCache(DefaultReplayCacheSize, v.now)
	}
	return v, nil
}

func cmpOr(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// Algorithms are the proof algorithms accepted, for the "algs" of a
// challenge and the dpop_signing_alg_values_supported of metadata.
func (v *DPoPVerifier) Algorithms() []string { return slices.Clone(v.algs) }

// Nonce returns the nonce a proof must carry now, "" when none is
// required.
func (v *DPoPVerifier) Nonce() string {
	if v.nonces == nil {
		return ""
	}
	return v.nonces.Nonce()
}

// DPoPRequest is the request a proof must be for.
type DPoPRequest struct {
	// Method and URL are the HTTP method and the URL of the request as
	// the client sent it (its query and fragment are ignored).
	Method, URL string
	// AccessToken, at a resource, is the token the proof goes with: its
	// hash must be the proof's "ath". Empty at a token endpoint.
	AccessToken string
	// JKT, if not empty, is the thumbprint of the key the token is bound
	// to (cnf.jkt): the proof must be signed by that key.
	JKT string
}

// DPoPProof is what a verified proof tells.
type DPoPProof struct {
	// JKT is the RFC 7638 thumbprint of the proof's key.
	JKT string
	// ID is its "jti"; IssuedAt its "iat".
	ID       string
	IssuedAt time.Time
}

type dpopClaims struct {
	JTI   string      `json:"jti"`
	HTM   string      `json:"htm"`
	HTU   string      `json:"htu"`
	IAT   json.Number `json:"iat"`
	ATH   string      `json:"ath"`
	Nonce string      `json:"nonce"`
}

// Verify checks proof, the value of a request's DPoP header, for req:
// strictly parsed (as ParseJWS), "typ" dpop+jwt, "alg" on the allowlist,
// a public "jwk" fitting alg (private members refused) that verifies the
// signature; "htm" and "htu" those of req; "iat" at most MaxAge old and
// at most Leeway ahead; a "jti" not seen before; "ath" the hash of
// req.AccessToken when there is one; the key the one of req.JKT when
// given; and the nonce, when required. Errors match ErrDPoPProof,
// ErrDPoPNonce or ErrDPoPBinding, or are the replay cache's.
func (v *DPoPVerifier) Verify(ctx context.Context, proof string, req DPoPRequest) (*DPoPProof, error) {
	bad := func(why string) error { return fmt.Errorf("%w: %s", ErrDPoPProof, why) }
	j, err := ParseJWS(proof, v.rules)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDPoPProof, err)
	}
	h := &j.Header
	if !strings.EqualFold(h.Typ, DPoPProofType) {
		return nil, bad(`typ is not "dpop+jwt"`)
	}
	if h.Kid != "" || h.Jku != nil || h.X5u != nil || h.X5c != nil {
		return nil, bad("the key must be in jwk alone")
	}
	if len(h.JWK) == 0 || h.JWK[0] != '{' {
		return nil, bad("no jwk")
	}
	jwk, err := jwks.ParsePublic(h.JWK)
	if err != nil {
		return nil, bad("jwk is not a public key")
	}
	if !jwks.FitsAlgorithm(jwk, j.Alg) {
		return nil, bad("jwk does not fit alg")
	}
	pub, err := jwk.PublicKey()
	if err != nil {
		return nil, bad("jwk is not a usable key")
	}
	if err := j.VerifySignature(pub); err != nil {
		return nil, bad("signature")
	}
	var c dpopClaims
	if err := json.Unmarshal(j.Payload, &c); err != nil {
		return nil, bad("claims")
	}
	now := v.now()
	iat, err := numericDate(c.IAT)
	switch {
	case c.JTI == "" || len(c.JTI) > maxDPoPJTILen:
		return nil, bad("jti")
	case c.HTM != req.Method:
		return nil, bad("htm is not the request's method")
	case !sameHTU(c.HTU, req.URL):
		return nil, bad("htu is not the request's URL")
	case err != nil || iat == nil:
		return nil, bad("iat")
	case iat.Before(now.Add(-v.maxAge)):
		return nil, bad("too old")
	case iat.After(now.Add(v.leeway)):
		return nil, bad("issued in the future")
	}
	jkt, err := jwk.Thumbprint()
	if err != nil {
		return nil, bad("jwk")
	}
	if req.JKT != "" && subtle.ConstantTimeCompare([]byte(jkt), []byte(req.JKT)) != 1 {
		return nil, ErrDPoPBinding
	}
	if req.AccessToken != "" {
		sum := sha256.Sum256([]byte(req.AccessToken))
		if subtle.ConstantTimeCompare([]byte(c.ATH), []byte(b64.EncodeToString(sum[:]))) != 1 {
			return nil, bad("ath is not the access token's hash")
		}
	}
	if v.nonces != nil && (c.Nonce == "" || !v.nonces.Valid(c.Nonce)) {
		return nil, ErrDPoPNonce
	}
	// Last, so that only proofs that would be accepted are remembered.
	key := sha256.Sum256([]byte(jkt + "\x00" + c.JTI))
	first, err := v.replay.UseOnce(ctx, "dpop:"+hex.EncodeToString(key[:]), iat.Add(v.maxAge+v.leeway))
	switch {
	case err != nil:
		return nil, fmt.Errorf("verify: DPoP replay cache: %w", err)
	case !first:
		return nil, bad("replayed")
	}
	return &DPoPProof{JKT: jkt, ID: c.JTI, IssuedAt: iat.Time}, nil
}

// sameHTU reports whether a proof's htu names the request URL: both
// without query and fragment, scheme and host in lower case, without the
// scheme's default port (RFC 9449 §4.3, RFC 3986 §6.2.2 and §6.2.3).
func sameHTU(htu, request string) bool {
	a, ok1 := normalURL(htu)
	b, ok2 := normalURL(request)
	return ok1 && ok2 && a == b
}

func normalURL(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil {
		return "", false
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	host = strings.TrimSuffix(host, map[string]string{"http": ":80", "https": ":443"}[scheme])
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}
