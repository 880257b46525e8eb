package bearer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// TokenVerifier checks an access token and returns its claims. Errors
// must not contain the token. *verify.Verifier implements it.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*claims.AccessToken, error)
}

var _ TokenVerifier = (*verify.Verifier)(nil)

// Options configures the middleware and the error answers.
type Options struct {
	// Realm is the realm of the WWW-Authenticate challenge; omitted if
	// empty.
	Realm string
	// ResourceMetadata is the URL of this resource's RFC 9728 metadata,
	// sent as resource_metadata in every challenge; omitted if empty.
	ResourceMetadata string
	// Logger receives one record per refused request, never with the
	// token. Default: discard.
	Logger *slog.Logger
	// RetryAfter is the Retry-After of the 503 answered while the signing
	// keys cannot be fetched (verify.ErrKeysUnavailable); zero means
	// DefaultRetryAfter.
	RetryAfter time.Duration
	// NoCache makes Authenticate verify every token afresh, bypassing the
	// verifier's cache of verified tokens if it has one (see Live): for
	// routes that must not rely on an earlier verification, such as those
	// that go on to check revocation live.
	NoCache bool
	// DPoP, if not nil, accepts DPoP-bound tokens (RFC 9449) with the
	// DPoP scheme and a proof of their key, checked by it; the challenges
	// then offer DPoP too. Tokens bound to a key are never accepted as
	// bearer tokens, with or without it.
	DPoP ProofVerifier
	// RequireDPoP refuses bearer tokens: every request needs a DPoP-bound
	// token and its proof. It needs DPoP.
	RequireDPoP bool
	// PublicURL is where clients reach this server (scheme://host[:port],
	// and a path prefix if a proxy adds one): with a request's path, the
	// URL a DPoP proof's htu must name. Empty: the request's own scheme
	// and Host.
	PublicURL string
}

// DefaultRetryAfter is the Retry-After of a 503 when Options.RetryAfter is
// zero: the keys of an issuer that came back are fetched within seconds.
const DefaultRetryAfter = 5 * time.Second

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// Errors of Extract and RequireScopes, answered by WriteError.
var (
	// ErrNoToken: the request carries no bearer credentials: no
	// Authorization header, or one with another scheme (RFC 6750 §3.1
	// treats an unsupported method like no authentication at all).
	ErrNoToken = errors.New("bearer: no access token")
	// ErrMalformedHeader: the Authorization header is repeated, empty,
	// "Bearer" without a token, or with more than one token or characters
	// outside the b64token syntax.
	ErrMalformedHeader = errors.New("bearer: malformed Authorization header")
	// ErrInsufficientScope: the token lacks a scope the route requires.
	ErrInsufficientScope = errors.New("bearer: insufficient scope")
)

// Extract returns the bearer token of r's Authorization header (RFC 6750
// §2.1). The scheme is case-insensitive; the header must appear exactly once
// and hold exactly one token. The token is never read from the query string
// or the body.
func Extract(r *http.Request) (string, error) {
	dpop, token, err := extract(r, false)
	if dpop {
		return "", ErrNoToken
	}
	return token, err
}

// extract returns the token of r's Authorization header, with the Bearer
// scheme or, if allowDPoP, the DPoP scheme (RFC 9449 §7.1, the same
// syntax), and whether it was DPoP.
func extract(r *http.Request, allowDPoP bool) (dpop bool, token string, err error) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return false, "", ErrNoToken
	case 1:
	default:
		return false, "", fmt.Errorf("%w: %d Authorization headers", ErrMalformedHeader, len(values))
	}
	v := strings.Trim(values[0], " \t")
	if v == "" {
		return false, "", fmt.Errorf("%w: empty", ErrMalformedHeader)
	}
	scheme, rest := v, ""
	if i := strings.IndexAny(v, " \t"); i >= 0 {
		scheme, rest = v[:i], v[i+1:]
	}
	dpop = strings.EqualFold(scheme, "DPoP")
	if !strings.EqualFold(scheme, "Bearer") && !(dpop && allowDPoP) {
		return false, "", ErrNoToken
	}
	token = strings.TrimLeft(rest, " \t")
	if token == "" {
		return dpop, "", fmt.Errorf("%w: no token after the scheme", ErrMalformedHeader)
	}
	if !isB64Token(token) {
		return dpop, "", fmt.Errorf("%w: not a single b64token", ErrMalformedHeader)
	}
	return dpop, token, nil
}

// isB64Token reports whether s matches RFC 6750's
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	// A table look-up per byte: tokens are long and checked on every
	// request.
	for i := 0; i < len(body); i++ {
		if !b64TokenChars[body[i]] {
			return false
		}
	}
	return true
}

// b64TokenChars marks the bytes of b64token other than the trailing "=".
var b64TokenChars = func() (t [256]bool) {
	for c := range 256 {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			t[c] = true
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
			t[c] = true
		}
	}
	return t
}()

type ctxKey struct{}

// WithClaims returns a copy of ctx carrying c.
func WithClaims(ctx context.Context, c *claims.AccessToken) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the claims Authenticate put in ctx. They may come
// from the verifier's cache, shared with other requests: read them, never
// modify them.
func FromContext(ctx context.Context) (*claims.AccessToken, bool) {
	c, ok := ctx.Value(ctxKey{}).(*claims.AccessToken)
	return c, ok && c != nil
}

// UncachedVerifier is a TokenVerifier with a cache of verified tokens
// that can verify a token afresh. *verify.Cached implements it.
type UncachedVerifier interface {
	VerifyUncached(ctx context.Context, token string) (*claims.AccessToken, error)
}

var _ UncachedVerifier = (*verify.Cached)(nil)

// Live returns a TokenVerifier that verifies every token afresh: v's
// VerifyUncached if v is an UncachedVerifier, v itself otherwise.
func Live(v TokenVerifier) TokenVerifier {
	if u, ok := v.(UncachedVerifier); ok {
		return liveVerifier{u}
	}
	return v
}

type liveVerifier struct{ u UncachedVerifier }

func (l liveVerifier) Verify(ctx context.Context, token string) (*claims.AccessToken, error) {
	return l.u.VerifyUncached(ctx, token)
}

// Verifier returns the TokenVerifier that middleware configured with opts
// uses: Live(v) if opts.NoCache is set, v otherwise.
func (o Options) Verifier(v TokenVerifier) TokenVerifier {
	if o.NoCache {
		return Live(v)
	}
	return v
}

// Authenticate returns middleware that admits only requests with a valid
// bearer token, and puts its claims in the request context (FromContext).
// Other requests get the RFC 6750 answer of WriteError.
//
// The claims may come from the verifier's cache and be shared with other
// requests that present the same token: handlers must not modify them.
//
// The request continues the trace of its traceparent header, and in a
// recorded trace the token is verified in a span (Options.TraceCheck).
func Authenticate(v TokenVerifier, opts Options) func(http.Handler) http.Handler {
	if v == nil {
		panic("bearer: Authenticate with a nil TokenVerifier")
	}
	v = opts.Verifier(v)
	log := opts.logger()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, c, err := opts.TraceCheck(r, v)
			if err != nil {
				LogRefusal(r.Context(), log, err)
				WriteError(w, opts, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(opts.WithRequestClaims(r, c)))
		})
	}
}

// Check extracts r's bearer token and verifies it: the whole of
// Authenticate but the answer, for other routers' middleware. A token
// bound to a key is refused (ErrBoundToken). Options.Check accepts DPoP
// too.
func Check(r *http.Request, v TokenVerifier) (*claims.AccessToken, error) {
	return Options{}.Check(r, v)
}

// Check extracts r's token and verifies it as Authenticate configured
// with o does: a bearer token, or, with o.DPoP, a DPoP-bound token and
// its proof; never a token bound to a key without its proof.
func (o Options) Check(r *http.Request, v TokenVerifier) (*claims.AccessToken, error) {
	dpop, token, err := extract(r, o.DPoP != nil)
	switch {
	case err != nil && o.RequireDPoP:
		return nil, asDPoP(err)
	case err != nil:
		return nil, err
	case dpop:
		return o.checkDPoP(r, v, token)
	case o.RequireDPoP:
		return nil, asDPoP(ErrDPoPRequired)
	}
	c, err := v.Verify(r.Context(), token)
	if err != nil {
		return nil, redact(err, token)
	}
	if c.Confirmation != nil {
		return nil, ErrBoundToken
	}
	return c, nil
}

// WithRequestClaims returns r's context carrying c, and, when r was a
// DPoP request that Check admitted, that it was (DPoPProven).
func (o Options) WithRequestClaims(r *http.Request, c *claims.AccessToken) context.Context {
	ctx := WithClaims(r.Context(), c)
	if o.DPoP != nil && c.BoundKey() != "" {
		ctx = context.WithValue(ctx, dpopCtxKey{}, true)
	}
	return ctx
}

// redact keeps a verifier's error message from carrying the token into
// logs, should a TokenVerifier break its contract.
func redact(err error, token string) error {
	msg := err.Error()
	if !strings.Contains(msg, token) {
		return err
	}
	return &redacted{msg: strings.ReplaceAll(msg, token, "[token]"), err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

// LogRefusal records why a request was refused: at debug level when it
// simply came without a token, at info level otherwise.
func LogRefusal(ctx context.Context, log *slog.Logger, err error) {
	level := slog.LevelInfo
	if errors.Is(err, ErrNoToken) {
		level = slog.LevelDebug
	}
	log.Log(ctx, level, "bearer authentication refused", "error", err.Error())
}

// RequireScopes returns middleware that admits only requests whose token,
// put in the context by Authenticate, was granted every one of scopes;
// others get 403 insufficient_scope naming them. Without Authenticate in
// front, every request gets 401.
//
// It panics if scopes is empty or one of them is not an RFC 6749 §3.3
// scope-token: routes declare their scopes in code.
func RequireScopes(opts Options, scopes ...string) func(http.Handler) http.Handler {
	MustValidScopes(scopes)
	scopes = slices.Clone(scopes)
	log := opts.logger()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := CheckScopes(r.Context(), scopes); err != nil {
				LogRefusal(r.Context(), log, err)
				WriteError(w, opts, MarkScheme(r, err), scopes...)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CheckScopes returns nil if the claims in ctx grant every one of scopes,
// ErrInsufficientScope if they do not, and an error wrapping ErrNoToken if
// ctx has no claims (no authentication middleware ran).
func CheckScopes(ctx context.Context, scopes []string) error {
	c, ok := FromContext(ctx)
	if !ok {
		return fmt.Errorf("%w: no claims in the request context (scopes required without authentication)", ErrNoToken)
	}
	for _, s := range scopes {
		if !c.HasScope(s) {
			return fmt.Errorf("%w: client %q lacks %q", ErrInsufficientScope, c.ClientID, s)
		}
	}
	return nil
}

// MustValidScopes panics unless scopes is a non-empty list of RFC 6749
// §3.3 scope-tokens.
func MustValidScopes(scopes []string) {
	if len(scopes) == 0 {
		panic("bearer: RequireScopes without scopes")
	}
	for _, s := range scopes {
		if s == "" || strings.IndexFunc(s, func(r rune) bool { return !isScopeChar(r) }) >= 0 {
			panic(fmt.Sprintf("bearer: invalid scope %q", s))
		}
	}
}

// isScopeChar: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func isScopeChar(r rune) bool {
	return r == 0x21 || (r >= 0x23 && r <= 0x5B) || (r >= 0x5D && r <= 0x7E)
}

// errorBody is the JSON body of an error answer.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Scope       string `json:"scope,omitempty"`
}

// answer is how an error is put on the wire.
type answer struct {
	status      int
	code        string // RFC 6750 error code; empty when no credentials came
	description string
}

// unavailable is the code of the 503 answered while the token cannot be
// verified (the RFC 6749 §4.1.2.1 code for a server that cannot serve for
// now). It comes without a Bearer challenge: the token was not found
// invalid, and its holder should keep it and try again.
const unavailable = "temporarily_unavailable"

// NoTokenError is the "error" of the JSON body when the request carried no
// credentials. It is deliberately not an RFC 6750 error code (the
// challenge then has none), so that clients never take a missing token for
// a bad one.
const NoTokenError = "unauthorized"

func classify(err error) answer {
	if a, ok := dpopAnswer(err); ok {
		return a
	}
	invalid := func(d string) answer { return answer{http.StatusUnauthorized, "invalid_token", d} }
	switch {
	case errors.Is(err, ErrNoToken):
		return answer{http.StatusUnauthorized, "", "An access token is required"}
	case errors.Is(err, ErrMalformedHeader):
		return answer{http.StatusBadRequest, "invalid_request",
			"The Authorization header must be 'Bearer' followed by exactly one access token"}
	case errors.Is(err, ErrInsufficientScope):
		return answer{http.StatusForbidden, "insufficient_scope", "The access token lacks a scope this resource requires"}
	case errors.Is(err, verify.ErrExpired):
		return invalid("The access token expired")
	case errors.Is(err, verify.ErrNotYetValid):
		return invalid("The access token is not valid yet")
	case errors.Is(err, verify.ErrAudience):
		return invalid("The access token is not meant for this resource")
	case errors.Is(err, verify.ErrIssuer):
		return invalid("The access token was not issued by the expected authorization server")
	case errors.Is(err, verify.ErrSignature):
		return invalid("The access token signature is invalid")
	case errors.Is(err, verify.ErrKeysUnavailable):
		return answer{http.StatusServiceUnavailable, unavailable,
			"The authorization server's signing keys cannot be fetched now; try again later with the same token"}
	case errors.Is(err, verify.ErrUnknownKey):
		return invalid("The access token is signed with an unknown key")
	case errors.Is(err, verify.ErrAlgorithm):
		return invalid("The access token signing algorithm is not accepted")
	case errors.Is(err, verify.ErrType):
		return invalid("The token is not an access token")
	case errors.Is(err, verify.ErrMissingClaim):
		return invalid("The access token lacks a required claim")
	case errors.Is(err, verify.ErrCritical):
		return invalid("The access token has an unsupported critical header")
	case errors.Is(err, verify.ErrTooLarge):
		return invalid("The access token is too large")
	case errors.Is(err, verify.ErrMalformed):
		return invalid("The access token is malformed")
	default:
		return invalid("The access token is invalid")
	}
}

// WriteError writes the RFC 6750 §3 answer to err:
//
//   - ErrNoToken: 401 with a challenge without error code (RFC 6750 §3.1);
//     the JSON body's "error" is NoTokenError;
//   - ErrMalformedHeader: 400 error="invalid_request";
//   - ErrInsufficientScope: 403 error="insufficient_scope" and
//     scope="requiredScopes…";
//   - verify.ErrKeysUnavailable: 503 error="temporarily_unavailable" with
//     Retry-After and no challenge: the token could not be checked, not
//     found invalid, so its holder keeps it;
//   - anything else (a verification failure): 401 error="invalid_token".
//
// The challenge is `WWW-Authenticate: Bearer realm="…", error="…",
// error_description="…", scope="…", resource_metadata="…"`, with the
// attributes that apply. The body is {"error": …, "error_description": …}
// (and "scope" for insufficient_scope). Descriptions are fixed texts chosen
// by the kind of error: they never echo the token or err's message.
func WriteError(w http.ResponseWriter, opts Options, err error, requiredScopes ...string) {
	a := classify(err)
	var scope string
	if a.code == "insufficient_scope" {
		scope = scopeList(requiredScopes)
	}
	h := w.Header()
	h.Del("WWW-Authenticate")
	if a.status == http.StatusServiceUnavailable {
		retry := opts.RetryAfter
		if retry <= 0 {
			retry = DefaultRetryAfter
		}
		h.Set("Retry-After", strconv.Itoa(int(max(retry.Round(time.Second), time.Second)/time.Second)))
	} else {
		for _, c := range challenges(opts, a, scope, isDPoP(err)) {
			h.Add("WWW-Authenticate", c)
		}
	}
	if a.code == "use_dpop_nonce" && opts.DPoP != nil {
		h.Set("DPoP-Nonce", opts.DPoP.Nonce())
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	body := errorBody{Error: a.code, Description: a.description, Scope: scope}
	if body.Error == "" {
		body.Error = NoTokenError
	}
	b, mErr := json.Marshal(body)
	if mErr != nil { // cannot happen: the body is strings only
		b = []byte(`{"error":"server_error"}`)
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(append(b, '\n'))
}

// challenges are the WWW-Authenticate challenges of an answer: Bearer,
// unless DPoP is required, and DPoP with its "algs" when DPoP is accepted
// (RFC 9449 §7.1). The error goes in the challenge of the scheme the
// request used (or, when DPoP is required, DPoP's).
func challenges(opts Options, a answer, scope string, dpop bool) []string {
	var out []string
	if !opts.RequireDPoP {
		out = append(out, challenge("Bearer", opts, a, scope, !dpop, ""))
	}
	if opts.DPoP != nil {
		out = append(out, challenge("DPoP", opts, a, scope, dpop || opts.RequireDPoP,
			claims.FormatScope(opts.DPoP.Algorithms())))
	}
	return out
}

func challenge(scheme string, opts Options, a answer, scope string, withError bool, algs string) string {
	var params []string
	if opts.Realm != "" {
		params = append(params, "realm="+quote(opts.Realm))
	}
	if a.code != "" && withError {
		params = append(params, "error="+quote(a.code), "error_description="+quote(a.description))
	}
	if scope != "" && withError {
		params = append(params, "scope="+quote(scope))
	}
	if algs != "" {
		params = append(params, "algs="+quote(algs))
	}
	if opts.ResourceMetadata != "" {
		params = append(params, "resource_metadata="+quote(opts.ResourceMetadata))
	}
	if len(params) == 0 {
		return scheme
	}
	return scheme + " " + strings.Join(params, ", ")
}

// quote makes s an RFC 9110 quoted-string: backslash-escapes '"' and '\',
// and drops control characters so that no value can break the header.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 && c != '\t', c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// scopeList joins the valid scope-tokens among scopes.
func scopeList(scopes []string) string {
	var valid []string
	for _, s := range scopes {
		if s != "" && strings.IndexFunc(s, func(r rune) bool { return !isScopeChar(r) }) < 0 {
			valid = append(valid, s)
		}
	}
	return claims.FormatScope(valid)
}
