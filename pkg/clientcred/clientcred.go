package clientcred

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/fastsafe/fastsafe/pkg/requestid"
	"github.com/fastsafe/fastsafe/pkg/tracing"
)

// DefaultEarlyExpiry is how long before its expiry a token is renewed when
// Config.EarlyExpiry is zero.
const DefaultEarlyExpiry = 30 * time.Second

// DefaultTimeout bounds each token request when Config.HTTPClient is nil.
const DefaultTimeout = 10 * time.Second

// Config describes the client and the token it asks for.
type Config struct {
	// TokenURL is the authorization server's token endpoint.
	TokenURL string
	// ClientID and ClientSecret authenticate the client.
	ClientID     string
	ClientSecret string
	// Scopes are the scopes requested; none means the client's default.
	Scopes []string
	// EndpointParams are extra token request parameters, such as
	// "resource" (RFC 8707) or "audience".
	EndpointParams url.Values
	// AuthStyle is how the client authenticates at the token endpoint.
	// The zero value detects it (HTTP Basic first, then the form).
	AuthStyle oauth2.AuthStyle
	// EarlyExpiry is how long before expiry a token is renewed, so that a
	// token is never sent on its last seconds. Default DefaultEarlyExpiry.
	EarlyExpiry time.Duration
	// HTTPClient sends the token requests, and its Transport the requests
	// of Client. Default: a client with a DefaultTimeout timeout on
	// http.DefaultTransport, unless ctx carries one under oauth2.HTTPClient.
	HTTPClient *http.Client
	// Assertion, if set, authenticates the client instead of
	// ClientSecret, with no secret anywhere: KeyAssertion signs one with
	// the client's private key (private_key_jwt), WorkloadToken presents
	// the platform's token for the workload.
	Assertion Assertion
	// DPoP, if set, binds the tokens to this key (RFC 9449): the token
	// requests carry proofs of it, and Client sends every request with
	// "Authorization: DPoP" and a proof, retrying once with the server's
	// nonce when it asks for one.
	DPoP *DPoPKey
}

// TokenSource returns a source of access tokens for cfg. Tokens are cached
// and renewed EarlyExpiry before they expire; concurrent callers share one
// token and one renewal, and while a renewal runs they wait for it and
// share its outcome, error included, so that a token endpoint that is down
// sees one request at a time, not one per waiting goroutine in turn. Every
// token request uses ctx: pass a context that lives as long as the source,
// not a request's.
func TokenSource(ctx context.Context, cfg Config) oauth2.TokenSource {
	ctx = withHTTPClient(ctx, cfg)
	if cfg.Assertion != nil || cfg.DPoP != nil {
		return &oneFlight{src: credentialsSource{ctx, cfg}, early: cfg.earlyExpiry(), now: time.Now}
	}
	cc := &clientcredentials.Config{
		ClientID:       cfg.ClientID,
		ClientSecret:   cfg.ClientSecret,
		TokenURL:       cfg.TokenURL,
		Scopes:         slices.Clone(cfg.Scopes),
		EndpointParams: cloneValues(cfg.EndpointParams),
		AuthStyle:      cfg.AuthStyle,
	}
	return &oneFlight{src: requester{ctx, cc}, early: cfg.earlyExpiry(), now: time.Now}
}

func (cfg Config) earlyExpiry() time.Duration {
	if cfg.EarlyExpiry <= 0 {
		return DefaultEarlyExpiry
	}
	return cfg.EarlyExpiry
}

// requester makes a token request each time it is asked for a token.
type requester struct {
	ctx context.Context
	cc  *clientcredentials.Config
}

func (r requester) Token() (*oauth2.Token, error) { return r.cc.Token(r.ctx) }

// Client returns an *http.Client that sends requests with a token from
// TokenSource(ctx, cfg) in the Authorization header. It shares the
// Transport, redirect policy, cookie jar and timeout of the HTTP client
// used for token requests (see Config.HTTPClient).
//
// Each request carries the X-Request-ID and the trace context (W3C
// traceparent) of its context (see packages requestid and tracing), so
// that a call made while serving a request can be followed into the logs
// and the trace of the service it reaches; inside a recorded trace it
// runs in a client span. A token request is made with the context given
// here, not with that of the request that needed the token, so it carries
// an id, and is in a trace, only if this context is.
func Client(ctx context.Context, cfg Config) *http.Client {
	ctx = withHTTPClient(ctx, cfg)
	return cfg.client(ctx, TokenSource(ctx, cfg))
}

// client returns an *http.Client sending tokens of ts: DPoP-bound with
// cfg.DPoP, bearer otherwise.
func (cfg Config) client(ctx context.Context, ts oauth2.TokenSource) *http.Client {
	if cfg.DPoP == nil {
		return oauth2.NewClient(ctx, ts)
	}
	base := httpClient(ctx)
	c := *base
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = &dpopTransport{base: rt, key: cfg.DPoP, tokens: func() (string, error) {
		t, err := ts.Token()
		if err != nil {
			return "", err
		}
		return t.AccessToken, nil
	}}
	return &c
}

// withHTTPClient puts the client for token requests in ctx, where the
// oauth2 package looks for it. Its Transport is wrapped in a
// requestid.Transport and a tracing.Transport, so that every request it
// sends (token requests, and the requests of Client, whose transport is
// built on it) carries the X-Request-ID and the trace context of the
// request's context.
func withHTTPClient(ctx context.Context, cfg Config) context.Context {
	var c *http.Client
	switch {
	case cfg.HTTPClient != nil:
		c = cfg.HTTPClient
	default:
		if cc, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && cc != nil {
			c = cc
		} else {
			c = &http.Client{Timeout: DefaultTimeout}
		}
	}
	if rt := withTraceAndRequestID(c.Transport); rt != c.Transport {
		wrapped := *c
		wrapped.Transport = rt
		c = &wrapped
	}
	return context.WithValue(ctx, oauth2.HTTPClient, c)
}

// withTraceAndRequestID wraps rt in a requestid.Transport and a
// tracing.Transport, unless it is wrapped already.
func withTraceAndRequestID(rt http.RoundTripper) http.RoundTripper {
	if _, ok := rt.(*tracing.Transport); ok {
		return rt
	}
	if _, ok := rt.(*requestid.Transport); !ok {
		rt = &requestid.Transport{Base: rt}
	}
	return &tracing.Transport{Base: rt}
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
