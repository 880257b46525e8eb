package bearer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// ProofVerifier checks DPoP proofs (RFC 9449). *verify.DPoPVerifier
// implements it.
type ProofVerifier interface {
	Verify(ctx context.Context, proof string, req verify.DPoPRequest) (*verify.DPoPProof, error)
	// Algorithms are the proof algorithms accepted, for challenges.
	Algorithms() []string
	// Nonce is the nonce proofs must carry now; "" when none is required.
	Nonce() string
}

var _ ProofVerifier = (*verify.DPoPVerifier)(nil)

// Errors of DPoP requests, answered by WriteError.
var (
	// ErrBoundToken: a token bound to a key (it has "cnf") came as a
	// bearer token: whoever sends it without a proof of the key may have
	// stolen it (RFC 9449 §7.2).
	ErrBoundToken = errors.New("bearer: a key-bound token sent as a bearer token")
	// ErrDPoPRequired: the route accepts DPoP-bound tokens only.
	ErrDPoPRequired = errors.New("bearer: this resource requires DPoP")
	// ErrNotBound: a token without "cnf" came with the DPoP scheme.
	ErrNotBound = errors.New("bearer: the token of a DPoP request is not bound to a key")
	// ErrProofHeader: a DPoP request without exactly one DPoP header.
	ErrProofHeader = errors.New("bearer: a DPoP request needs exactly one DPoP header")
)

// dpopError marks an error of a request that used the DPoP scheme, or of
// a route that requires it: its answer goes in the DPoP challenge.
type dpopError struct{ err error }

func (e *dpopError) Error() string { return e.err.Error() }
func (e *dpopError) Unwrap() error { return e.err }

func asDPoP(err error) error {
	if err == nil {
		return nil
	}
	var de *dpopError
	if errors.As(err, &de) {
		return err
	}
	return &dpopError{err}
}

func isDPoP(err error) bool {
	var de *dpopError
	return errors.As(err, &de)
}

// MarkScheme returns err marked as the answer to a DPoP request if r
// used the DPoP scheme, so that WriteError puts it in the DPoP challenge
// (for RequireScopes, after Authenticate).
func MarkScheme(r *http.Request, err error) error {
	if scheme, _, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " "); strings.EqualFold(scheme, "DPoP") {
		return asDPoP(err)
	}
	return err
}

type dpopCtxKey struct{}

// DPoPProven reports whether the request whose context is ctx was
// authenticated with a DPoP-bound token and a proof of its key.
func DPoPProven(ctx context.Context) bool {
	b, _ := ctx.Value(dpopCtxKey{}).(bool)
	return b
}

// checkDPoP verifies a DPoP request (RFC 9449 §7.1): a token bound to a
// key (cnf.jkt), and one DPoP header with a proof of that key for this
// request and this token.
func (o Options) checkDPoP(r *http.Request, v TokenVerifier, token string) (*claims.AccessToken, error) {
	c, err := v.Verify(r.Context(), token)
	if err != nil {
		return nil, asDPoP(redact(err, token))
	}
	if c.BoundKey() == "" {
		return nil, asDPoP(ErrNotBound)
	}
	proofs := r.Header.Values("DPoP")
	if len(proofs) != 1 {
		return nil, asDPoP(ErrProofHeader)
	}
	_, err = o.DPoP.Verify(r.Context(), proofs[0], verify.DPoPRequest{
		Method: r.Method, URL: o.requestURL(r), AccessToken: token, JKT: c.BoundKey(),
	})
	if err != nil {
		return nil, asDPoP(fmt.Errorf("%w", err))
	}
	return c, nil
}

// requestURL is the URL the client sent r to, as a proof's htu names it:
// Options.PublicURL and the request's path, or, without PublicURL, the
// request's scheme, Host and path.
func (o Options) requestURL(r *http.Request) string {
	if o.PublicURL != "" {
		return strings.TrimSuffix(o.PublicURL, "/") + r.URL.EscapedPath()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
}

// RequireDPoP returns middleware that admits only requests Authenticate
// admitted with a DPoP-bound token and its proof; others get 401 with a
// DPoP challenge. It is how one route requires DPoP where others accept
// bearer tokens too (Options.RequireDPoP requires it of every route).
func RequireDPoP(opts Options) func(http.Handler) http.Handler {
	log := opts.logger()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := CheckDPoPProven(r.Context()); err != nil {
				LogRefusal(r.Context(), log, err)
				WriteError(w, opts, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CheckDPoPProven returns nil if the request of ctx was authenticated
// with DPoP, and the error RequireDPoP answers otherwise.
func CheckDPoPProven(ctx context.Context) error {
	if !DPoPProven(ctx) {
		return asDPoP(ErrDPoPRequired)
	}
	return nil
}

// dpopAnswer is the answer to an error of DPoP, or nothing.
func dpopAnswer(err error) (answer, bool) {
	invalid := func(d string) answer { return answer{http.StatusUnauthorized, "invalid_token", d} }
	switch {
	case errors.Is(err, ErrBoundToken):
		return invalid("The access token is bound to a key: send it with the DPoP scheme and a proof"), true
	case errors.Is(err, ErrDPoPRequired):
		return invalid("This resource requires a DPoP-bound access token and its proof"), true
	case errors.Is(err, ErrNotBound):
		return invalid("The access token is not bound to a key: send it with the Bearer scheme"), true
	case errors.Is(err, verify.ErrDPoPBinding):
		return invalid("The DPoP proof is not signed by the key the access token is bound to"), true
	case errors.Is(err, verify.ErrDPoPNonce):
		return answer{http.StatusUnauthorized, "use_dpop_nonce", "The DPoP proof must carry the nonce of the DPoP-Nonce header"}, true
	case errors.Is(err, ErrProofHeader), errors.Is(err, verify.ErrDPoPProof):
		return answer{http.StatusUnauthorized, "invalid_dpop_proof", "The DPoP proof is invalid"}, true
	}
	return answer{}, false
}
