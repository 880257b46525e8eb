package authorize

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/redirecturi"
	"github.com/fastsafe/fastsafe/authserver/internal/scope"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// GrantAuthorizationCode is the grant type a client needs for this
// endpoint, as stored in store.Client.Grants.
const GrantAuthorizationCode = "authorization_code"

// OpenID Connect scopes: about the person, not an API, so every client
// that may sign people in may ask for them.
var openIDScopes = []string{"openid", "profile", "email"}

// Limits on parameters, checked before any work is done on them.
const (
	maxClientIDLen  = 256
	maxStateLen     = 2048
	maxNonceLen     = 512
	maxScopeLen     = 2048
	maxLoginHintLen = 256
	maxParams       = 64
	// An S256 code challenge is the base64url SHA-256 of the verifier:
	// always 43 characters.
	challengeLen = 43
)

// Request is an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3,
// OpenID Connect Core §3.1.2.1) that passed every check.
type Request struct {
	Client      store.Client
	RedirectURI string
	State       string
	Nonce       string
	// Scopes are those requested, or the client's when none were; they
	// are within the client's, not yet within the person's.
	Scopes        []string
	Audience      []string
	CodeChallenge string // S256
	Prompt        Prompt
	// MaxAge, when HasMaxAge, is how long ago the person may have
	// authenticated at the most.
	MaxAge    time.Duration
	HasMaxAge bool
	LoginHint string
	// Params are the parameters as received: the pages' forms send them
	// back, and they are checked again then.
	Params url.Values
}

// Prompt is the prompt parameter (OpenID Connect Core §3.1.2.1).
type Prompt struct {
	None, Login, Consent bool
}

// pageError is an authorization request that cannot be answered by a
// redirect, because the client or its redirect URI cannot be trusted
// (RFC 6749 §4.1.2.1): the person is shown what went wrong instead.
type pageError struct {
	status         int
	title, message string
}

func (e *pageError) Error() string { return e.title + ": " + e.message }

// redirectError is an authorization request refused with a redirect to
// the client (RFC 6749 §4.1.2.1).
type redirectError struct {
	code, description string
}

func (e *redirectError) Error() string { return e.code + ": " + e.description }

// Authorization endpoint error codes beyond RFC 6749 §5.2's.
const (
	codeAccessDenied            = "access_denied"
	codeUnsupportedResponseType = "unsupported_response_type"
	codeLoginRequired           = "login_required"
	codeConsentRequired         = "consent_required"
	codeRequestNotSupported     = "request_not_supported"
	codeRequestURINotSupported  = "request_uri_not_supported"
)

func redirectErr(code, desc string) *redirectError { return &redirectError{code, desc} }

// Clients is where requests' clients are looked up.
type Clients interface {
	GetClient(ctx context.Context, id string) (store.Client, error)
}

// parseRequest checks the authorization request params against its
// client. Until the client and redirect URI are known good, a failure is
// a *pageError; after, a *redirectError, and the returned Request has the
// redirect URI and state to send it with.
func parseRequest(ctx context.Context, clients Clients, params url.Values) (Request, error) {
	req := Request{Params: params}
	if len(params) > maxParams {
		return req, &pageError{http.StatusBadRequest, "This request cannot be used",
			"The application sent more parameters than an authorization request has."}
	}
	id, err := single(params, "client_id")
	switch {
	case err != nil || id == "" || len(id) > maxClientIDLen:
		return req, &pageError{http.StatusBadRequest, "This request cannot be used",
			"The application did not say which application it is."}
	}
	client, err := clients.GetClient(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return req, &pageError{http.StatusBadRequest, "Unknown application",
			"The application that sent you here is not registered with this server."}
	case err != nil:
		return req, &pageError{http.StatusServiceUnavailable, "Temporarily unavailable",
			"The server cannot answer right now. Try again in a moment."}
	}
	redirect, err := single(params, "redirect_uri")
	if err != nil || redirect == "" {
		return req, &pageError{http.StatusBadRequest, "This request cannot be used",
			"The application did not say where to send you back to."}
	}
	if _, ok := redirecturi.Match(client.RedirectURIs, redirect); !ok {
		return req, &pageError{http.StatusBadRequest, "This request cannot be used",
			"The application asked to send you back to an address it has not registered."}
	}
	req.Client, req.RedirectURI = client, redirect

	// From here on, errors go back to the client.
	state, err := single(params, "state")
	if err != nil {
		return req, redirectErr(oautherr.CodeInvalidRequest, "state is repeated")
	}
	if len(state) > maxStateLen {
		return req, redirectErr(oautherr.CodeInvalidRequest, "state is too long")
	}
	req.State = state
	for _, p := range []string{"response_type", "response_mode", "scope", "nonce", "code_challenge",
		"code_challenge_method", "prompt", "max_age", "login_hint"} {
		if len(params[p]) > 1 {
			return req, redirectErr(oautherr.CodeInvalidRequest, p+" is repeated")
		}
	}
	if params.Has("request") {
		return req, redirectErr(codeRequestNotSupported, "request objects are not supported")
	}
	if params.Has("request_uri") {
		return req, redirectErr(codeRequestURINotSupported, "request_uri is not supported")
	}
	switch rt := params.Get("response_type"); rt {
	case "":
		return req, redirectErr(oautherr.CodeInvalidRequest, "response_type is required")
	case "code":
	default:
		return req, redirectErr(codeUnsupportedResponseType, "response_type must be code")
	}
	if m := params.Get("response_mode"); m != "" && m != "query" {
		return req, redirectErr(oautherr.CodeInvalidRequest, "response_mode must be query")
	}
	if !slices.Contains(client.Grants, GrantAuthorizationCode) {
		return req, redirectErr(oautherr.CodeUnauthorizedClient, "the client may not use the authorization code grant")
	}
	if req.Scopes, err = requestScopes(params.Get("scope"), client.Scopes); err != nil {
		return req, err
	}
	aud, err := scope.Audience(params["resource"], client.Audience)
	if err != nil {
		return req, redirectErr(oautherr.CodeInvalidTarget, "a requested resource is not an audience this client may have")
	}
	req.Audience = aud
	if req.CodeChallenge, err = codeChallenge(params); err != nil {
		return req, err
	}
	nonce := params.Get("nonce")
	if len(nonce) > maxNonceLen {
		return req, redirectErr(oautherr.CodeInvalidRequest, "nonce is too long")
	}
	req.Nonce = nonce
	if req.Prompt, err = parsePrompt(params.Get("prompt")); err != nil {
		return req, err
	}
	if v := params.Get("max_age"); v != "" {
		n, err := strconv.ParseUint(v, 10, 31)
		if err != nil {
			return req, redirectErr(oautherr.CodeInvalidRequest, "max_age must be a number of seconds")
		}
		req.MaxAge, req.HasMaxAge = time.Duration(n)*time.Second, true
	}
	hint := params.Get("login_hint")
	if len(hint) > maxLoginHintLen {
		hint = ""
	}
	req.LoginHint = hint
	return req, nil
}

// single returns the one value of key, "" if it is absent, and an error
// if it is repeated (RFC 6749 §3.1).
func single(params url.Values, key string) (string, error) {
	vs := params[key]
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", errors.New(key + " is repeated")
}

// requestScopes decides the requested scopes: each must be the client's
// or an OpenID Connect scope; none requested means all of the client's.
func requestScopes(requested string, clientScopes []string) ([]string, error) {
	if len(requested) > maxScopeLen {
		return nil, redirectErr(oautherr.CodeInvalidScope, "scope is too long")
	}
	allowed := append(slices.Clone(clientScopes), openIDScopes...)
	if strings.TrimSpace(requested) == "" {
		return slices.Clone(clientScopes), nil
	}
	granted, err := scope.Grant(requested, allowed, nil)
	if err != nil {
		return nil, redirectErr(oautherr.CodeInvalidScope, oautherr.From(err).Description)
	}
	return dedupe(granted), nil
}

func dedupe(l []string) []string {
	out := make([]string, 0, len(l))
	for _, s := range l {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// codeChallenge returns the request's PKCE challenge (RFC 7636 §4.3),
// which every request must have, made with S256: plain would put the
// verifier itself in the browser's history (RFC 9700 §2.1.1).
func codeChallenge(params url.Values) (string, error) {
	c := params.Get("code_challenge")
	if c == "" {
		return "", redirectErr(oautherr.CodeInvalidRequest, "code_challenge is required (PKCE, RFC 7636)")
	}
	if params.Get("code_challenge_method") != "S256" {
		return "", redirectErr(oautherr.CodeInvalidRequest, "code_challenge_method must be S256")
	}
	if len(c) != challengeLen || !base64URL(c) {
		return "", redirectErr(oautherr.CodeInvalidRequest, "code_challenge is not an S256 challenge")
	}
	return c, nil
}

func base64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// parsePrompt reads the prompt parameter: none alone, or any of login and
// consent.
func parsePrompt(v string) (Prompt, error) {
	var p Prompt
	values := claims.ParseScope(v) // space-separated, like scope
	for _, s := range values {
		switch s {
		case "none":
			p.None = true
		case "login":
			p.Login = true
		case "consent":
			p.Consent = true
		default:
			return Prompt{}, redirectErr(oautherr.CodeInvalidRequest, "prompt must be none, login or consent")
		}
	}
	if p.None && len(values) > 1 {
		return Prompt{}, redirectErr(oautherr.CodeInvalidRequest, "prompt=none cannot be combined with other values")
	}
	return p, nil
}
