package registration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fastsafe/fastsafe/authserver/internal/redirecturi"
	"github.com/fastsafe/fastsafe/authserver/internal/scope"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// Client authentication methods a registered client may choose (RFC 7591
// §2).
const (
	authNone  = "none"
	authBasic = "client_secret_basic"
	authPost  = "client_secret_post"
)

// Error codes of RFC 7591 §3.2.2.
const (
	codeInvalidRedirectURI    = "invalid_redirect_uri"
	codeInvalidClientMetadata = "invalid_client_metadata"
)

// Limits on what a registration may hold.
const (
	maxNameLen      = 100
	maxRedirectURIs = 10
)

// openIDScopes are about the person, and every client that signs people in
// may ask for them.
var openIDScopes = []string{"openid", "profile", "email"}

// metadata is the client metadata of RFC 7591 §2 this server acts on.
// Other members are ignored, as §2 says, and not repeated in answers.
type metadata struct {
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	ClientName              string   `json:"client_name"`
	Scope                   string   `json:"scope"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris"`
	// ClientID is the client's own in an RFC 7592 update, which must
	// match the URL's.
	ClientID string `json:"client_id"`
}

// metadataError is a refused registration (RFC 7591 §3.2.2).
type metadataError struct {
	code, description string
}

func (e *metadataError) Error() string { return e.code + ": " + e.description }

func invalidMetadata(format string, args ...any) *metadataError {
	return &metadataError{codeInvalidClientMetadata, fmt.Sprintf(format, args...)}
}

// Policy is what the server allows registered clients.
type Policy struct {
	// Grants are the grant types registered clients may have
	// (authorization_code, refresh_token, client_credentials).
	Grants []string
	// Scopes are the API scopes they may ask for, beyond OpenID Connect's.
	Scopes []string
	// Audience is the audience of every registered client's tokens.
	Audience []string
}

// parseMetadata reads a JSON object of client metadata: one object, no
// member twice, the known members of the types RFC 7591 gives them.
func parseMetadata(body []byte) (metadata, error) {
	if !utf8.Valid(body) {
		return metadata{}, invalidMetadata("the body is not UTF-8")
	}
	if err := noDuplicateMembers(body); err != nil {
		return metadata{}, invalidMetadata("%v", err)
	}
	var m metadata
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&m); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return metadata{}, invalidMetadata("%s has the wrong type", typeErr.Field)
		}
		return metadata{}, invalidMetadata("the body is not a JSON object")
	}
	if dec.More() {
		return metadata{}, invalidMetadata("the body holds more than one JSON value")
	}
	return m, nil
}

// noDuplicateMembers refuses an object with a member name twice at its top
// level, which encoding/json would silently resolve to the last.
func noDuplicateMembers(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	t, err := dec.Token()
	if err != nil || t != json.Delim('{') {
		return errors.New("the body is not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return errors.New("the body is not a JSON object")
		}
		name, _ := t.(string)
		if seen[name] {
			return fmt.Errorf("%q appears twice", name)
		}
		seen[name] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return errors.New("the body is not a JSON object")
		}
	}
	return nil
}

// registered is a registration decided: what the client becomes.
type registered struct {
	public                 bool
	authMethod             string
	redirectURIs           []string
	postLogoutRedirectURIs []string
	grants                 []string
	responseTypes          []string
	scopes                 []string
	name                   string
}

// decide checks m against the policy and RFC 7591, filling the defaults
// §2 gives.
func (p Policy) decide(m metadata) (registered, error) {
	r := registered{authMethod: m.TokenEndpointAuthMethod}
	switch r.authMethod {
	case "":
		r.authMethod = authBasic
	case authNone:
		r.public = true
	case authBasic, authPost:
	default:
		return registered{}, invalidMetadata("token_endpoint_auth_method must be none, client_secret_basic or client_secret_post")
	}
	r.grants = dedupe(m.GrantTypes)
	if len(r.grants) == 0 {
		r.grants = []string{"authorization_code"}
	}
	for _, g := range r.grants {
		if !slices.Contains(p.Grants, g) {
			return registered{}, invalidMetadata("grant type %q is not allowed for registered clients", g)
		}
	}
	code := slices.Contains(r.grants, "authorization_code")
	switch {
	case slices.Contains(r.grants, "refresh_token") && !code:
		return registered{}, invalidMetadata("refresh_token needs authorization_code")
	case r.public && slices.Contains(r.grants, "client_credentials"):
		return registered{}, invalidMetadata("a public client cannot use client_credentials")
	}
	r.responseTypes = dedupe(m.ResponseTypes)
	if len(r.responseTypes) == 0 && code {
		r.responseTypes = []string{"code"}
	}
	switch {
	case code && !slices.Equal(r.responseTypes, []string{"code"}):
		return registered{}, invalidMetadata("response_types must be [\"code\"]: the authorization code flow is the only one")
	case !code && len(r.responseTypes) > 0:
		return registered{}, invalidMetadata("response_types are for the authorization_code grant")
	}
	kind := redirecturi.Web
	if r.public {
		kind = redirecturi.Native
	}
	var err error
	if r.redirectURIs, err = redirectURIs("redirect_uris", m.RedirectURIs, kind); err != nil {
		return registered{}, err
	}
	if code && len(r.redirectURIs) == 0 {
		return registered{}, &metadataError{codeInvalidRedirectURI, "redirect_uris is required with authorization_code"}
	}
	if !code && len(r.redirectURIs) > 0 {
		return registered{}, &metadataError{codeInvalidRedirectURI, "redirect_uris are for the authorization_code grant"}
	}
	if r.postLogoutRedirectURIs, err = redirectURIs("post_logout_redirect_uris", m.PostLogoutRedirectURIs, kind); err != nil {
		return registered{}, err
	}
	if r.scopes, err = p.scopes(m.Scope); err != nil {
		return registered{}, err
	}
	name := strings.TrimSpace(m.ClientName)
	if len(name) > maxNameLen || strings.ContainsFunc(name, unicode.IsControl) {
		return registered{}, invalidMetadata("client_name must be at most %d bytes of printable text", maxNameLen)
	}
	r.name = name
	return r, nil
}

func redirectURIs(member string, uris []string, kind redirecturi.Kind) ([]string, error) {
	if len(uris) > maxRedirectURIs {
		return nil, &metadataError{codeInvalidRedirectURI, fmt.Sprintf("%s has more than %d URIs", member, maxRedirectURIs)}
	}
	for _, u := range uris {
		if err := redirecturi.Validate(u, kind); err != nil {
			return nil, &metadataError{codeInvalidRedirectURI, member + ": " + err.Error()}
		}
	}
	return dedupe(uris), nil
}

// scopes decides the client's scopes: those asked for, each allowed, or
// all allowed API scopes when none were asked for. OpenID Connect's are
// always allowed, and not stored: every client that signs people in may
// ask for them.
func (p Policy) scopes(requested string) ([]string, error) {
	if strings.TrimSpace(requested) == "" {
		return slices.Clone(p.Scopes), nil
	}
	allowed := append(slices.Clone(p.Scopes), openIDScopes...)
	granted, err := scope.Grant(requested, allowed, nil)
	if err != nil {
		return nil, invalidMetadata("scope: a scope is not allowed for registered clients")
	}
	var api []string
	for _, s := range dedupe(granted) {
		if !slices.Contains(openIDScopes, s) {
			api = append(api, s)
		}
	}
	return api, nil
}

func dedupe(l []string) []string {
	var out []string
	for _, s := range l {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// scopeString formats the scopes a registered client may ask for, for
// the answer's scope member.
func scopeString(api []string) string {
	return claims.FormatScope(append(slices.Clone(openIDScopes), api...))
}
