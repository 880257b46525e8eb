package metrics

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/fastsafe/fastsafe/pkg/bearer"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// Outcomes of a bearer token check, the values of the outcome label.
const (
	OutcomeOK                = "ok"
	OutcomeMissing           = "missing"
	OutcomeMalformed         = "malformed"
	OutcomeExpired           = "expired"
	OutcomeNotYetValid       = "not_yet_valid"
	OutcomeBadSignature      = "bad_signature"
	OutcomeUnknownKey        = "unknown_key"
	OutcomeKeysUnavailable   = "keys_unavailable"
	OutcomeIssuer            = "issuer"
	OutcomeAudience          = "audience"
	OutcomeType              = "type"
	OutcomeAlgorithm         = "algorithm"
	OutcomeInsufficientScope = "insufficient_scope"
	OutcomeOther             = "other"
)

// Outcomes lists every outcome.
var Outcomes = []string{
	OutcomeOK, OutcomeMissing, OutcomeMalformed, OutcomeExpired, OutcomeNotYetValid,
	OutcomeBadSignature, OutcomeUnknownKey, OutcomeKeysUnavailable, OutcomeIssuer, OutcomeAudience, OutcomeType,
	OutcomeAlgorithm, OutcomeInsufficientScope, OutcomeOther,
}

// Outcome returns the outcome of a bearer check that returned err.
func Outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, bearer.ErrNoToken):
		return OutcomeMissing
	case errors.Is(err, bearer.ErrMalformedHeader), errors.Is(err, verify.ErrMalformed),
		errors.Is(err, verify.ErrTooLarge), errors.Is(err, verify.ErrCritical),
		errors.Is(err, verify.ErrMissingClaim):
		return OutcomeMalformed
	case errors.Is(err, bearer.ErrInsufficientScope):
		return OutcomeInsufficientScope
	case errors.Is(err, verify.ErrExpired):
		return OutcomeExpired
	case errors.Is(err, verify.ErrNotYetValid):
		return OutcomeNotYetValid
	case errors.Is(err, verify.ErrSignature):
		return OutcomeBadSignature
	case errors.Is(err, verify.ErrKeysUnavailable):
		return OutcomeKeysUnavailable
	case errors.Is(err, verify.ErrUnknownKey):
		return OutcomeUnknownKey
	case errors.Is(err, verify.ErrIssuer):
		return OutcomeIssuer
	case errors.Is(err, verify.ErrAudience):
		return OutcomeAudience
	case errors.Is(err, verify.ErrType):
		return OutcomeType
	case errors.Is(err, verify.ErrAlgorithm):
		return OutcomeAlgorithm
	default:
		return OutcomeOther
	}
}

// checkKey is the context key of the *check of a request.
type checkKey struct{}

// check is what Verifier learnt about the request's token.
type check struct {
	verified bool
	outcome  string
}

// Verifier returns v, counting the outcome of every verification: once
// per request behind Authentication (which counts it), directly
// otherwise. The result still bypasses a cache when asked to (it is a
// bearer.UncachedVerifier if v is).
func (m *Metrics) Verifier(v bearer.TokenVerifier) bearer.TokenVerifier {
	cv := &countingVerifier{m: m, v: v}
	if u, ok := v.(bearer.UncachedVerifier); ok {
		return &countingUncached{countingVerifier: cv, u: u}
	}
	return cv
}

type countingVerifier struct {
	m *Metrics
	v bearer.TokenVerifier
}

var _ bearer.TokenVerifier = (*countingVerifier)(nil)

// Verify implements bearer.TokenVerifier.
func (c *countingVerifier) Verify(ctx context.Context, token string) (*claims.AccessToken, error) {
	at, err := c.v.Verify(ctx, token)
	c.m.record(ctx, err)
	return at, err
}

type countingUncached struct {
	*countingVerifier
	u bearer.UncachedVerifier
}

var _ bearer.UncachedVerifier = (*countingUncached)(nil)

// VerifyUncached implements bearer.UncachedVerifier.
func (c *countingUncached) VerifyUncached(ctx context.Context, token string) (*claims.AccessToken, error) {
	at, err := c.u.VerifyUncached(ctx, token)
	c.m.record(ctx, err)
	return at, err
}

func (m *Metrics) record(ctx context.Context, err error) {
	if ch, ok := ctx.Value(checkKey{}).(*check); ok {
		ch.verified, ch.outcome = true, Outcome(err)
		return
	}
	m.count(Outcome(err))
}

// count counts one verification with outcome.
func (m *Metrics) count(outcome string) {
	if c, ok := m.outcomes[outcome]; ok {
		c.Inc()
		return
	}
	// Not reached while Outcomes lists every outcome Outcome returns; an
	// outcome added to one and not the other is still counted.
	m.verifications.WithLabelValues(outcome).Inc()
}

// checkContext is a request's context carrying its check: what
// context.WithValue and a separate check would be, in one allocation.
type checkContext struct {
	context.Context
	check check
}

// Value returns the check for checkKey, and the parent's values
// otherwise.
func (c *checkContext) Value(key any) any {
	if key == (checkKey{}) {
		return &c.check
	}
	return c.Context.Value(key)
}

// Authentication is Gin middleware for a group of protected routes, put
// in front of the bearer authentication: it counts one outcome per
// request, that of the verification (through Verifier), or missing or
// malformed when the request had no token to verify, or
// insufficient_scope when a verified token was refused with 403.
func (m *Metrics) Authentication() gin.HandlerFunc {
	return func(c *gin.Context) {
		cc := &checkContext{Context: c.Request.Context()}
		ch := &cc.check
		c.Request = c.Request.WithContext(cc)
		c.Next()
		outcome := ch.outcome
		switch {
		case !ch.verified:
			_, err := bearer.Extract(c.Request)
			outcome = Outcome(err)
			if err == nil {
				outcome = OutcomeOther
			}
		case outcome == OutcomeOK && c.Writer.Status() == http.StatusForbidden:
			outcome = OutcomeInsufficientScope
		}
		m.count(outcome)
	}
}
