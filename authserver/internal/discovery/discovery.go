package discovery

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Metadata is the RFC 8414 §2 document.
type Metadata struct {
	Issuer                                    string   `json:"issuer"`
	TokenEndpoint                             string   `json:"token_endpoint"`
	JWKSURI                                   string   `json:"jwks_uri"`
	IntrospectionEndpoint                     string   `json:"introspection_endpoint"`
	RevocationEndpoint                        string   `json:"revocation_endpoint"`
	GrantTypesSupported                       []string `json:"grant_types_supported"`
	ResponseTypesSupported                    []string `json:"response_types_supported"`
	TokenEndpointAuthMethodsSupported         []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	AccessTokenSigningAlgValuesSupported      []string `json:"access_token_signing_alg_values_supported,omitempty"`
}

// New describes the server at issuer.
// The server has no authorization endpoint, so it supports no response
// type.
func New(issuer string) Metadata {
	base := strings.TrimSuffix(issuer, "/")
	return Metadata{
		Issuer:                            issuer,
		TokenEndpoint:                     base + "/token",
		JWKSURI:                           base + "/.well-known/jwks.json",
		IntrospectionEndpoint:             base + "/introspect",
		RevocationEndpoint:                base + "/revoke",
		GrantTypesSupported:               []string{"password", "client_credentials", "refresh_token"},
		ResponseTypesSupported:            []string{},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "none"},
		IntrospectionEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
		RevocationEndpointAuthMethodsSupported:    []string{"client_secret_basic", "client_secret_post", "none"},
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
