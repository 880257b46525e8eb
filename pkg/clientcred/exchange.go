package clientcred

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// Token exchange (RFC 8693).
const (
	// GrantTokenExchange is the grant type of token exchange.
	GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	// TokenTypeAccessToken is the type of the tokens exchanged.
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
)

// maxExchanged bounds the exchanged tokens an Exchanger keeps.
const maxExchanged = 4096

// Exchanger calls the next service on behalf of the user who called this
// one: it exchanges the access token a request came with (the subject
// token) for a token to the next service's audience, whose "sub" is
// still the user and whose "act" names this client (RFC 8693). The
// authorization server lets a token only narrow (scopes, audience,
// lifetime). Exchanged tokens are kept, by subject token and audience,
// until EarlyExpiry before they expire, at most 4096 of them; the cache
// holds hashes of the subject tokens, never the tokens. It is safe for
// concurrent use.
type Exchanger struct {
	ctx context.Context
	cfg Config

	mu     sync.Mutex
	tokens map[exchangeKey]*oauth2.Token
}

type exchangeKey struct {
	subject  [sha256.Size]byte
	audience string
	scope    string
}

// NewExchanger returns an Exchanger for the client cfg describes (its
// Scopes and EndpointParams are not used: each exchange names its own).
// Every token request uses ctx: pass one that lives as long as the
// Exchanger.
func NewExchanger(ctx context.Context, cfg Config) *Exchanger {
	return &Exchanger{ctx: withHTTPClient(ctx, cfg), cfg: cfg, tokens: map[exchangeKey]*oauth2.Token{}}
}

// Token returns a token for audience, with scopes (none: all the subject
// token has that the client may have), exchanged for subjectToken.
func (e *Exchanger) Token(subjectToken, audience string, scopes ...string) (*oauth2.Token, error) {
	k := exchangeKey{sha256.Sum256([]byte(subjectToken)), audience, strings.Join(scopes, " ")}
	now := time.Now()
	e.mu.Lock()
	t, ok := e.tokens[k]
	e.mu.Unlock()
	if ok && (t.Expiry.IsZero() || now.Add(e.cfg.earlyExpiry()).Before(t.Expiry)) {
		return t, nil
	}
	form := url.Values{
		"grant_type":           {GrantTokenExchange},
		"subject_token":        {subjectToken},
		"subject_token_type":   {TokenTypeAccessToken},
		"requested_token_type": {TokenTypeAccessToken},
		"audience":             {audience},
	}
	if k.scope != "" {
		form.Set("scope", k.scope)
	}
	t, err := e.cfg.requestToken(e.ctx, form, now)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.tokens) >= maxExchanged {
		for old, ot := range e.tokens {
			if !ot.Expiry.After(now) || len(e.tokens) >= maxExchanged {
				delete(e.tokens, old)
			}
		}
	}
	e.tokens[k] = t
	e.mu.Unlock()
	return t, nil
}

// Client returns an *http.Client whose requests carry a token for
// audience exchanged for subjectToken: DPoP-bound with a proof per
// request when the Config has a DPoP key.
func (e *Exchanger) Client(subjectToken, audience string, scopes ...string) *http.Client {
	return e.cfg.client(e.ctx, exchangeSource{e, subjectToken, audience, scopes})
}

type exchangeSource struct {
	e                 *Exchanger
	subject, audience string
	scopes            []string
}

func (s exchangeSource) Token() (*oauth2.Token, error) {
	return s.e.Token(s.subject, s.audience, s.scopes...)
}
