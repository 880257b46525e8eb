package discovery

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/fastsafe/fastsafe/authserver/internal/clientauth"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// Metadata is the OpenID Provider Metadata of OpenID Connect Discovery 1.0
// §3, which is also the RFC 8414 §2 authorization server metadata: one
// document serves both well-known paths.
type Metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	UserinfoEndpoint      string `json:"userinfo_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	EndSessionEndpoint    string `json:"end_session_endpoint"`
	// RegistrationEndpoint is set when clients may register themselves
	// (RFC 7591, RFC 8414 §2).
	RegistrationEndpoint                      string   `json:"registration_endpoint,omitempty"`
	IntrospectionEndpoint                     string   `json:"introspection_endpoint"`
	RevocationEndpoint                        string   `json:"revocation_endpoint"`
	ScopesSupported                           []string `json:"scopes_supported"`
	ResponseTypesSupported                    []string `json:"response_types_supported"`
	ResponseModesSupported                    []string `json:"response_modes_supported"`
	GrantTypesSupported                       []string `json:"grant_types_supported"`
	SubjectTypesSupported                     []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported          []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported         []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported             []string `json:"code_challenge_methods_supported"`
	ClaimsSupported                           []string `json:"claims_supported"`
	PromptValuesSupported                     []string `json:"prompt_values_supported"`
	ClaimsParameterSupported                  bool     `json:"claims_parameter_supported"`
	RequestParameterSupported                 bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported              bool     `json:"request_uri_parameter_supported"`
	// RFC 9207: every authorization response carries iss.
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	AccessTokenSigningAlgValuesSupported       []string `json:"access_token_signing_alg_values_supported,omitempty"`
	// The JWS algorithms of client assertions (RFC 8414 §2) at each
	// endpoint that authenticates clients.
	TokenEndpointAuthSigningAlgValuesSupported         []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	IntrospectionEndpointAuthSigningAlgValuesSupported []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	RevocationEndpointAuthSigningAlgValuesSupported    []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
	// RFC 9449 §5.1: the algorithms of the DPoP proofs accepted.
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported"`
}

// Paths of the endpoints, relative to the issuer.
const (
	PathAuthorize  = "/authorize"
	PathToken      = "/token"
	PathUserinfo   = "/userinfo"
	PathJWKS       = "/.well-known/jwks.json"
	PathLogout     = "/logout"
	PathIntrospect = "/introspect"
	PathRevoke     = "/revoke"
)

// New describes the server at issuer, whose tokens are signed with alg.
func New(issuer, alg string) Metadata {
	base := strings.TrimSuffix(issuer, "/")
	algs := []string{alg}
	return Metadata{
		Issuer:                                    issuer,
		AuthorizationEndpoint:                     base + PathAuthorize,
		TokenEndpoint:                             base + PathToken,
		UserinfoEndpoint:                          base + PathUserinfo,
		JWKSURI:                                   base + PathJWKS,
		EndSessionEndpoint:                        base + PathLogout,
		IntrospectionEndpoint:                     base + PathIntrospect,
		RevocationEndpoint:                        base + PathRevoke,
		ScopesSupported:                           []string{"openid", "profile", "email"},
		ResponseTypesSupported:                    []string{"code"},
		ResponseModesSupported:                    []string{"query"},
		GrantTypesSupported:                       []string{"authorization_code", "refresh_token", "client_credentials", "password", "urn:ietf:params:oauth:grant-type:token-exchange"},
		SubjectTypesSupported:                     []string{"public"},
		IDTokenSigningAlgValuesSupported:          algs,
		TokenEndpointAuthMethodsSupported:         []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		IntrospectionEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "private_key_jwt"},
		RevocationEndpointAuthMethodsSupported:    []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		CodeChallengeMethodsSupported:             []string{"S256"},
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash", "sid",
			"name", "preferred_username", "email"},
		PromptValuesSupported:                      []string{"none", "login", "consent"},
		AuthorizationResponseIssParameterSupported: true,
		AccessTokenSigningAlgValuesSupported:       algs,

		TokenEndpointAuthSigningAlgValuesSupported:         clientauth.AssertionAlgorithms(),
		IntrospectionEndpointAuthSigningAlgValuesSupported: clientauth.AssertionAlgorithms(),
		RevocationEndpointAuthSigningAlgValuesSupported:    clientauth.AssertionAlgorithms(),
		DPoPSigningAlgValuesSupported:                      verify.DefaultDPoPAlgorithms(),
	}
}

// Handler serves the document, encoded once.
func Handler(m Metadata) http.Handler {
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err) // a struct of strings always encodes
	}
	body = append(body, '\n')
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(body)
	})
}
