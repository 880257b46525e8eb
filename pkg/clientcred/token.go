package clientcred

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// maxAnswer bounds the answers read from the authorization server.
const maxAnswer = 1 << 20

// Error is an error answer of the authorization server (RFC 6749 §5.2).
type Error struct {
	Status      int
	Code        string // "invalid_client", "invalid_grant", …
	Description string
}

func (e *Error) Error() string {
	if e.Description == "" {
		return fmt.Sprintf("clientcred: %d %s", e.Status, e.Code)
	}
	return fmt.Sprintf("clientcred: %d %s: %s", e.Status, e.Code, e.Description)
}

// httpClient is the client that token requests go through: the one
// withHTTPClient put in ctx.
func httpClient(ctx context.Context) *http.Client {
	if c, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && c != nil {
		return c
	}
	return &http.Client{Timeout: DefaultTimeout}
}

// post sends form to endpoint u with the client's credentials, and, with
// cfg.DPoP at the token endpoint, a proof, sent once more with the
// server's nonce when it asks for one. Each attempt authenticates anew,
// as an assertion is used once.
func (cfg Config) post(ctx context.Context, u string, form url.Values, dpop bool) (*http.Response, []byte, error) {
	target, err := url.Parse(u)
	if err != nil {
		return nil, nil, fmt.Errorf("clientcred: endpoint %q: %w", u, err)
	}
	for attempt := 0; ; attempt++ {
		f := cloneValues(form)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
		if err != nil {
			return nil, nil, err
		}
		if err := cfg.authenticate(ctx, req, f); err != nil {
			return nil, nil, err
		}
		if dpop && cfg.DPoP != nil {
			proof, err := cfg.DPoP.Proof(http.MethodPost, u, "")
			if err != nil {
				return nil, nil, err
			}
			req.Header.Set("DPoP", proof)
		}
		body := f.Encode()
		req.Body = io.NopCloser(strings.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		resp, err := httpClient(ctx).Do(req)
		if err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
		resp.Body.Close()
		if err != nil {
			return nil, nil, err
		}
		if dpop && cfg.DPoP != nil && cfg.DPoP.askedForNonce(target, resp, b) && attempt == 0 {
			continue
		}
		return resp, b, nil
	}
}

// authenticate adds the client's credentials to req or its form: an
// assertion, HTTP Basic with a secret (both parts form-encoded, RFC 6749
// §2.3.1), or the client ID alone for a public client.
func (cfg Config) authenticate(ctx context.Context, req *http.Request, form url.Values) error {
	switch {
	case cfg.Assertion != nil:
		a, err := cfg.Assertion.Assertion(ctx, cfg.ClientID, cfg.TokenURL)
		if err != nil {
			return err
		}
		form.Set("client_id", cfg.ClientID)
		form.Set("client_assertion_type", AssertionType)
		form.Set("client_assertion", a)
	case cfg.ClientSecret != "":
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString(
			[]byte(url.QueryEscape(cfg.ClientID)+":"+url.QueryEscape(cfg.ClientSecret))))
	default:
		form.Set("client_id", cfg.ClientID)
	}
	return nil
}

// tokenAnswer is a token response (RFC 6749 §5.1, RFC 8693 §2.2.1).
type tokenAnswer struct {
	AccessToken     string `json:"access_token"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	Scope           string `json:"scope"`
	IssuedTokenType string `json:"issued_token_type"`
	Error           string `json:"error"`
	Description     string `json:"error_description"`
}

// requestToken posts a token request and decodes the token.
func (cfg Config) requestToken(ctx context.Context, form url.Values, now time.Time) (*oauth2.Token, error) {
	resp, body, err := cfg.post(ctx, cfg.TokenURL, form, true)
	if err != nil {
		return nil, err
	}
	var a tokenAnswer
	if err := json.Unmarshal(body, &a); err != nil && resp.StatusCode == http.StatusOK {
		return nil, fmt.Errorf("clientcred: token response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{Status: resp.StatusCode, Code: a.Error, Description: a.Description}
	}
	if a.AccessToken == "" {
		return nil, errors.New("clientcred: token response without access_token")
	}
	if cfg.DPoP != nil && !strings.EqualFold(a.TokenType, "DPoP") {
		return nil, fmt.Errorf("clientcred: asked for a DPoP-bound token, got token_type %q", a.TokenType)
	}
	t := &oauth2.Token{AccessToken: a.AccessToken, TokenType: a.TokenType}
	if a.ExpiresIn > 0 {
		t.Expiry = now.Add(time.Duration(a.ExpiresIn) * time.Second)
	}
	return t.WithExtra(map[string]any{"scope": a.Scope, "issued_token_type": a.IssuedTokenType}), nil
}

// credentialsSource gets client_credentials tokens with cfg's assertion
// or DPoP key, which golang.org/x/oauth2 cannot send.
type credentialsSource struct {
	ctx context.Context
	cfg Config
}

func (s credentialsSource) Token() (*oauth2.Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(s.cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(s.cfg.Scopes, " "))
	}
	for k, vs := range s.cfg.EndpointParams {
		form[k] = append(form[k], vs...)
	}
	return s.cfg.requestToken(s.ctx, form, time.Now())
}
