package clientauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// AssertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Limits of client assertions.
const (
	// MaxAssertionLifetime bounds how far ahead of now the "exp" of a
	// client's own assertion may be: assertions are made for one request.
	MaxAssertionLifetime = 5 * time.Minute
	// MaxWorkloadLifetime bounds how far ahead of now the "exp" of a
	// workload token from a trusted issuer may be: platforms issue them
	// for an hour or so and rotate them.
	MaxWorkloadLifetime = 24 * time.Hour
	// AssertionLeeway absorbs the clock skew between a client and the
	// server.
	AssertionLeeway = 30 * time.Second
	// maxAssertionSize bounds a client assertion before it is parsed.
	maxAssertionSize = 16 << 10
	// maxJTILen bounds an assertion's "jti".
	maxJTILen = 256
)

// AssertionAlgorithms are the JWS algorithms of the client assertions
// accepted: asymmetric only, never "none", never HMAC (a client secret
// as an HMAC key would be a shared secret again).
func AssertionAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"}
}

var assertionRules = verify.JWSRules{
	MaxSize:       maxAssertionSize,
	Algorithms:    AssertionAlgorithms(),
	HeaderMembers: []string{"alg", "kid", "typ", "crit", "cty", "jku", "jwk", "x5u", "x5c"},
	ClaimMembers:  []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"},
	DateMembers:   []string{"exp", "nbf", "iat"},
}

// assertion is a client assertion taken apart, its signature not checked.
type assertion struct {
	jws      *verify.JWS
	kid      string
	issuer   string
	subject  string
	audience jwt.ClaimStrings
	exp      time.Time
	nbf, iat time.Time // zero when absent
	jti      string
}

// parseAssertion takes a client assertion apart strictly (verify.ParseJWS)
// and checks its shape: a JWT type, if any, that no other JWT of ours
// has, and the claims every assertion needs (iss, sub, aud, exp). Its
// errors are invalid_client, and never repeat the assertion.
func parseAssertion(token string) (*assertion, error) {
	malformed := oautherr.InvalidClient("malformed client assertion")
	j, err := verify.ParseJWS(token, assertionRules)
	if err != nil {
		return nil, malformed
	}
	if !assertionType(j.Header.Typ) || len(j.Header.Kid) > verify.MaxKeyIDLength {
		return nil, malformed
	}
	kid := j.Header.Kid
	var c struct {
		Issuer   string           `json:"iss"`
		Subject  string           `json:"sub"`
		Audience jwt.ClaimStrings `json:"aud"`
		Exp      json.Number      `json:"exp"`
		Nbf      json.Number      `json:"nbf"`
		Iat      json.Number      `json:"iat"`
		JTI      string           `json:"jti"`
	}
	if err := json.Unmarshal(j.Payload, &c); err != nil {
		return nil, malformed
	}
	a := &assertion{jws: j, kid: kid, issuer: c.Issuer, subject: c.Subject, audience: c.Audience, jti: c.JTI}
	if a.issuer == "" || a.subject == "" || len(a.audience) == 0 || c.Exp == "" {
		return nil, oautherr.InvalidClient("the client assertion lacks iss, sub, aud or exp")
	}
	for _, d := range []struct {
		n   json.Number
		out *time.Time
	}{{c.Exp, &a.exp}, {c.Nbf, &a.nbf}, {c.Iat, &a.iat}} {
		if d.n == "" {
			continue
		}
		if *d.out, err = seconds(d.n); err != nil {
			return nil, malformed
		}
	}
	return a, nil
}

// seconds converts a NumericDate, refusing what no clock can hold.
func seconds(n json.Number) (time.Time, error) {
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f < 0 || f > 1<<40 {
		return time.Time{}, errors.New("date out of range")
	}
	return time.Unix(int64(f), 0), nil
}

// assertionType accepts no "typ", or JWT, or the explicit type of client
// authentication JWTs, with or without "application/", in any case: never
// "at+jwt", "dpop+jwt" or another JWT's type, so that no other token of
// ours can be taken for a client assertion (RFC 8725 §3.11).
func assertionType(typ string) bool {
	t := strings.ToLower(strings.TrimPrefix(strings.ToLower(typ), "application/"))
	return typ == "" || t == "jwt" || t == "client-authentication+jwt"
}

// AssertionStore is what checking assertions reads and writes.
type AssertionStore interface {
	GetTrustedIssuer(ctx context.Context, issuer string) (store.TrustedIssuer, error)
	UseOnce(ctx context.Context, key string, now, expiresAt time.Time) (bool, error)
}

// Assertions configures client authentication by assertion.
type Assertions struct {
	// Issuer is this server's issuer identifier; with TokenEndpoint and
	// Endpoints, the "aud" values a client's own assertion may carry.
	Issuer        string
	TokenEndpoint string
	// Endpoints are the other endpoints a client authenticates at
	// (introspection, revocation), also accepted as "aud".
	Endpoints []string
	Store     AssertionStore
	Keys      *KeySets
	Now       func() time.Time
}

// checkAssertion authenticates client c with the assertion a: a signed
// statement by the client itself (private_key_jwt: iss = sub = client ID,
// verified with its registered keys, used once), or the workload token a
// trusted issuer gave it (iss and sub those registered for the client,
// verified with the issuer's keys). Every failure is the same
// invalid_client to the caller.
func (as *Assertions) check(ctx context.Context, c store.Client, a *assertion) error {
	if !c.UsesAssertion() {
		return failed()
	}
	now := as.Now()
	var (
		keys     []jwks.PublicKey
		lifetime = MaxAssertionLifetime
		once     = true
		err      error
	)
	if c.AssertionIssuer != "" {
		if a.issuer != c.AssertionIssuer || a.subject != c.AssertionSubject {
			return failed()
		}
		ti, terr := as.Store.GetTrustedIssuer(ctx, a.issuer)
		switch {
		case errors.Is(terr, store.ErrNotFound):
			return failed()
		case terr != nil:
			return oautherr.Unavailable(terr)
		}
		want := []string{as.Issuer, as.TokenEndpoint}
		if ti.Audience != "" {
			want = []string{ti.Audience}
		}
		if !audienceIn(a.audience, want) {
			return failed()
		}
		lifetime, once = MaxWorkloadLifetime, false
		if err := as.checkTimes(a, now, lifetime, once); err != nil {
			return failed()
		}
		keys, err = as.Keys.Issuer(ctx, ti, a.kid)
	} else {
		if a.issuer != c.ID || a.subject != c.ID {
			return failed()
		}
		if !audienceIn(a.audience, append([]string{as.Issuer, as.TokenEndpoint}, as.Endpoints...)) {
			return failed()
		}
		if err := as.checkTimes(a, now, lifetime, once); err != nil {
			return failed()
		}
		keys, err = as.Keys.Client(ctx, c, a.kid)
	}
	if err != nil {
		return failed()
	}
	if !verifiedByOne(a, keys) {
		return failed()
	}
	if !once {
		return nil
	}
	// Recorded only once the signature holds, so that nobody can burn a
	// client's jti without its key; kept until the assertion could no
	// longer be accepted anyway.
	first, err := as.Store.UseOnce(ctx, assertionKey(c.ID, a.jti), now, a.exp.Add(AssertionLeeway))
	switch {
	case err != nil:
		return oautherr.Unavailable(err)
	case !first:
		return oautherr.InvalidClient("client authentication failed: the assertion was used before")
	}
	return nil
}

// checkTimes checks exp, nbf, iat and, for a single-use assertion, its
// jti.
func (as *Assertions) checkTimes(a *assertion, now time.Time, lifetime time.Duration, once bool) error {
	switch {
	case !now.Before(a.exp.Add(AssertionLeeway)):
		return errors.New("expired")
	case a.exp.After(now.Add(lifetime + AssertionLeeway)):
		return errors.New("exp too far ahead")
	case !a.nbf.IsZero() && a.nbf.After(now.Add(AssertionLeeway)):
		return errors.New("not valid yet")
	case !a.iat.IsZero() && a.iat.After(now.Add(AssertionLeeway)):
		return errors.New("issued in the future")
	case once && (a.jti == "" || len(a.jti) > maxJTILen):
		return errors.New("no usable jti")
	}
	return nil
}

// verifiedByOne reports whether one of keys verifies the assertion: the
// key its kid names, or, without kid, any key of its algorithm.
func verifiedByOne(a *assertion, keys []jwks.PublicKey) bool {
	for _, k := range keys {
		if k.Algorithm != a.jws.Alg || (a.kid != "" && k.ID != a.kid) {
			continue
		}
		if a.jws.VerifySignature(k.Key) == nil {
			return true
		}
	}
	return false
}

func audienceIn(aud jwt.ClaimStrings, want []string) bool {
	for _, w := range want {
		if w != "" && slices.Contains(aud, w) {
			return true
		}
	}
	return false
}

// assertionKey is the one-time key of a client's assertion: a hash, so
// that neither length nor content of a jti reaches the store as is.
func assertionKey(clientID, jti string) string {
	sum := sha256.Sum256([]byte(clientID + "\x00" + jti))
	return "assertion:" + hex.EncodeToString(sum[:])
}
