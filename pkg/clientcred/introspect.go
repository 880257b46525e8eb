package clientcred

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/fastsafe/fastsafe/pkg/claims"
)

// DefaultIntrospectionCache is how long an Introspector remembers an
// answer when IntrospectorOptions.CacheFor is zero.
const DefaultIntrospectionCache = 5 * time.Second

// maxIntrospected bounds the answers an Introspector remembers.
const maxIntrospected = 10000

// Introspection is an RFC 7662 answer: whether the token is active and,
// if it is, what it carries.
type Introspection struct {
	Active    bool                 `json:"active"`
	Scope     string               `json:"scope,omitempty"`
	ClientID  string               `json:"client_id,omitempty"`
	Username  string               `json:"username,omitempty"`
	TokenType string               `json:"token_type,omitempty"`
	Exp       int64                `json:"exp,omitempty"`
	Iat       int64                `json:"iat,omitempty"`
	Sub       string               `json:"sub,omitempty"`
	Aud       []string             `json:"aud,omitempty"`
	Iss       string               `json:"iss,omitempty"`
	Jti       string               `json:"jti,omitempty"`
	Act       *claims.Actor        `json:"act,omitempty"`
	Cnf       *claims.Confirmation `json:"cnf,omitempty"`
}

// IntrospectorOptions configures an Introspector.
type IntrospectorOptions struct {
	// URL is the introspection endpoint.
	URL string
	// CacheFor is how long an answer is remembered; default
	// DefaultIntrospectionCache. Negative: never.
	CacheFor time.Duration
}

// Introspector asks the authorization server whether tokens are active
// (RFC 7662), authenticated as the client of its Config (a confidential
// one: a secret or an assertion). It remembers each answer for a few
// seconds, keyed by the SHA-256 of the token, at most 10,000 of them: a
// route that must see a revocation at once checks every request, for a
// request to the authorization server every few seconds per token. It is
// safe for concurrent use.
type Introspector struct {
	ctx  context.Context
	cfg  Config
	opts IntrospectorOptions

	mu      sync.Mutex
	answers map[[sha256.Size]byte]introspected
}

type introspected struct {
	answer *Introspection
	until  time.Time
}

// NewIntrospector returns an Introspector for the client cfg describes.
func NewIntrospector(ctx context.Context, cfg Config, opts IntrospectorOptions) (*Introspector, error) {
	if opts.URL == "" {
		return nil, errors.New("clientcred: IntrospectorOptions.URL is required")
	}
	if opts.CacheFor == 0 {
		opts.CacheFor = DefaultIntrospectionCache
	}
	return &Introspector{ctx: withHTTPClient(ctx, cfg), cfg: cfg, opts: opts, answers: map[[sha256.Size]byte]introspected{}}, nil
}

// Introspect returns the authorization server's answer about token.
func (in *Introspector) Introspect(ctx context.Context, token string) (*Introspection, error) {
	key := sha256.Sum256([]byte(token))
	now := time.Now()
	in.mu.Lock()
	a, ok := in.answers[key]
	in.mu.Unlock()
	if ok && now.Before(a.until) {
		return a.answer, nil
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, httpClient(in.ctx))
	resp, body, err := in.cfg.post(ctx, in.opts.URL, url.Values{"token": {token}, "token_type_hint": {"access_token"}}, false)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e tokenAnswer
		_ = json.Unmarshal(body, &e)
		return nil, &Error{Status: resp.StatusCode, Code: e.Error, Description: e.Description}
	}
	var answer Introspection
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, fmt.Errorf("clientcred: introspection answer: %w", err)
	}
	if in.opts.CacheFor > 0 {
		until := now.Add(in.opts.CacheFor)
		if answer.Active && answer.Exp > 0 && time.Unix(answer.Exp, 0).Before(until) {
			until = time.Unix(answer.Exp, 0)
		}
		in.mu.Lock()
		if len(in.answers) >= maxIntrospected {
			clear(in.answers)
		}
		in.answers[key] = introspected{&answer, until}
		in.mu.Unlock()
	}
	return &answer, nil
}

// ErrInactive: the authorization server says the token is not active
// (revoked, its grant revoked, or expired).
var ErrInactive = errors.New("clientcred: the token is not active")

// TokenVerifier checks an access token locally, such as a
// *verify.Verifier or a *verify.Cached.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (*claims.AccessToken, error)
}

// Verifier returns a TokenVerifier (for bearer.Authenticate) that checks
// a token with v and then asks the authorization server whether it is
// still active, so that a revocation is seen within the introspection
// cache's few seconds instead of at the token's expiry. A token the
// server calls inactive is refused with ErrInactive.
func (in *Introspector) Verifier(v TokenVerifier) TokenVerifier {
	return liveVerifier{v, in}
}

type liveVerifier struct {
	v  TokenVerifier
	in *Introspector
}

func (l liveVerifier) Verify(ctx context.Context, token string) (*claims.AccessToken, error) {
	c, err := l.v.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	a, err := l.in.Introspect(ctx, token)
	if err != nil {
		return nil, fmt.Errorf("clientcred: introspection: %w", err)
	}
	if !a.Active {
		return nil, ErrInactive
	}
	return c, nil
}
