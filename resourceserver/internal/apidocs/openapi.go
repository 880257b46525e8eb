package apidocs

import (
	"encoding/json"
	"errors"
)

// SecurityScheme is the name of the OAuth 2.0 security scheme in the
// document.
const SecurityScheme = "OAuth2"

// OpenAPIOptions are the facts of a deployment that the document states.
type OpenAPIOptions struct {
	// AuthorizationURL is the authorization server's authorization
	// endpoint, where the authorization code flow signs people in.
	AuthorizationURL string
	// TokenURL is the authorization server's token endpoint, for every
	// flow.
	TokenURL string
	// Scopes maps each scope the API understands to what it grants.
	Scopes map[string]string
	// SearchScope is the scope GET /search requires; one of Scopes.
	SearchScope string
}

// OpenAPI returns the OpenAPI 3.0 document of the resource server as
// indented JSON. Every route of the server is described; protected ones
// name the scope they require.
func OpenAPI(o OpenAPIOptions) ([]byte, error) {
	if o.TokenURL == "" || o.AuthorizationURL == "" {
		return nil, errors.New("apidocs: no token or authorization URL")
	}
	if _, ok := o.Scopes[o.SearchScope]; !ok {
		return nil, errors.New("apidocs: the search scope is not among the scopes")
	}
	doc := document{
		OpenAPI: "3.0.3",
		Info: info{
			Title:   "fastsafe search API",
			Version: "1.0.0",
			Description: "A search API protected by OAuth 2.0 bearer tokens (RFC 6750). " +
				"Get a token from the authorization server as a user, with the authorization code flow " +
				"(signing in on its page, with PKCE) or the password flow, or as a service, with the " +
				"client-credentials flow, with the scope the operation needs.",
		},
		Paths: map[string]pathItem{
			"/": {Get: &operation{
				Tags:        []string{"search"},
				Summary:     "Welcome",
				OperationID: "root",
				Responses: map[string]response{
					"200": jsonResponse("A welcome message.", ref("Message")),
				},
			}},
			"/search": {Get: &operation{
				Tags:        []string{"search"},
				Summary:     "Search",
				Description: "Looks the query up. Needs a bearer token for this API with the scope " + o.SearchScope + ".",
				OperationID: "search",
				Parameters: []parameter{{
					Name: "query", In: "query", Required: true,
					Description: "What to look for; exactly once, not empty.",
					Schema:      schema{Type: "string", MinLength: ptr(1)},
				}},
				Security: []map[string][]string{{SecurityScheme: {o.SearchScope}}},
				Responses: map[string]response{
					"200": jsonResponse("The outcome of the search.", ref("Message")),
					"400": withExample(jsonResponse("The query is missing, empty or repeated, or the Authorization header is malformed (invalid_request).", ref("Error")),
						map[string]string{"error": "invalid_request", "error_description": "query is required"}),
					"401": withExample(challenge("No token came (no error code), or it is invalid, expired or for another audience (invalid_token)."),
						map[string]string{"error": "invalid_token", "error_description": "the token has expired"}),
					"403": withExample(challenge("The token lacks the scope "+o.SearchScope+" (insufficient_scope)."),
						map[string]string{"error": "insufficient_scope", "error_description": "the token lacks a required scope", "scope": o.SearchScope}),
				},
			}},
			"/healthz": {Get: &operation{
				Tags:        []string{"operations"},
				Summary:     "Liveness",
				Description: "Answers while the process serves requests.",
				OperationID: "healthz",
				Responses: map[string]response{
					"200": jsonResponse("Alive.", ref("Status")),
				},
			}},
			"/readyz": {Get: &operation{
				Tags:        []string{"operations"},
				Summary:     "Readiness",
				Description: "Ready once the authorization server's signing keys are loaded, so tokens can be verified.",
				OperationID: "readyz",
				Responses: map[string]response{
					"200": jsonResponse("Ready.", ref("Status")),
					"503": jsonResponse("The signing keys are not loaded yet.", ref("Status")),
				},
			}},
			"/.well-known/oauth-protected-resource": {Get: &operation{
				Tags:        []string{"discovery"},
				Summary:     "Protected resource metadata (RFC 9728)",
				Description: "This API's resource identifier, its authorization server, the scopes it understands and how it accepts bearer tokens.",
				OperationID: "protectedResourceMetadata",
				Responses: map[string]response{
					"200": jsonResponse("The metadata.", ref("ProtectedResourceMetadata")),
				},
			}},
			"/openapi.json": {Get: &operation{
				Tags:        []string{"discovery"},
				Summary:     "This OpenAPI document",
				OperationID: "openapi",
				Responses: map[string]response{
					"200": jsonResponse("The OpenAPI 3 document.", schema{Type: "object"}),
				},
			}},
			"/docs": {Get: &operation{
				Tags:        []string{"discovery"},
				Summary:     "Interactive documentation (Swagger UI)",
				OperationID: "docs",
				Responses: map[string]response{
					"200": {Description: "An HTML page.", Content: map[string]mediaType{"text/html": {Schema: schema{Type: "string"}}}},
				},
			}},
		},
		Components: components{
			Schemas: map[string]schema{
				"Message": object(map[string]schema{
					"message": {Type: "string", Example: "found apple in search"},
				}, "message"),
				"Error": object(map[string]schema{
					"error":             {Type: "string", Example: "invalid_request"},
					"error_description": {Type: "string"},
					"scope":             {Type: "string", Example: "search"},
				}, "error"),
				"Status": object(map[string]schema{
					"status": {Type: "string", Example: "ok"},
				}, "status"),
				"ProtectedResourceMetadata": object(map[string]schema{
					"resource":                 {Type: "string", Format: "uri"},
					"authorization_servers":    {Type: "array", Items: &schema{Type: "string", Format: "uri"}},
					"scopes_supported":         {Type: "array", Items: &schema{Type: "string"}},
					"bearer_methods_supported": {Type: "array", Items: &schema{Type: "string"}},
					"resource_documentation":   {Type: "string", Format: "uri"},
				}, "resource"),
			},
			SecuritySchemes: map[string]securityScheme{
				SecurityScheme: {
					Type:        "oauth2",
					Description: "Bearer access tokens (RFC 9068 JWTs) from the authorization server.",
					// Swagger UI lists the flows in this order: signing in
					// on the authorization server's page comes first.
					Flows: oauthFlows{
						AuthorizationCode: &oauthFlow{AuthorizationURL: o.AuthorizationURL, TokenURL: o.TokenURL, RefreshURL: o.TokenURL, Scopes: o.Scopes},
						Password:          &oauthFlow{TokenURL: o.TokenURL, RefreshURL: o.TokenURL, Scopes: o.Scopes},
						ClientCredentials: &oauthFlow{TokenURL: o.TokenURL, Scopes: o.Scopes},
					},
				},
			},
		},
		Tags: []tag{
			{Name: "search", Description: "The API itself."},
			{Name: "discovery", Description: "Documents that describe the API."},
			{Name: "operations", Description: "Probes for orchestrators."},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func ptr[T any](v T) *T { return &v }

func ref(name string) schema { return schema{Ref: "#/components/schemas/" + name} }

func object(props map[string]schema, required ...string) schema {
	return schema{Type: "object", Properties: props, Required: required}
}

func jsonResponse(desc string, s schema) response {
	return response{Description: desc, Content: map[string]mediaType{"application/json": {Schema: s}}}
}

// withExample sets the example of r's JSON body.
func withExample(r response, example any) response {
	mt := r.Content["application/json"]
	mt.Example = example
	r.Content["application/json"] = mt
	return r
}

// challenge describes an RFC 6750 error answer with its WWW-Authenticate.
func challenge(desc string) response {
	r := jsonResponse(desc, ref("Error"))
	r.Headers = map[string]header{
		"WWW-Authenticate": {
			Description: `Bearer challenge (RFC 6750 §3) with realm, error, error_description, scope and resource_metadata (RFC 9728) parameters.`,
			Schema:      schema{Type: "string"},
		},
	}
	return r
}

// The types below are the subset of the OpenAPI 3.0 object model that the
// document uses. Maps are encoded with sorted keys, so the output is stable.

type document struct {
	OpenAPI    string              `json:"openapi"`
	Info       info                `json:"info"`
	Paths      map[string]pathItem `json:"paths"`
	Components components          `json:"components"`
	Tags       []tag               `json:"tags,omitempty"`
}

type info struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Version     string `json:"version"`
}

type tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type pathItem struct {
	Get *operation `json:"get,omitempty"`
}

type operation struct {
	Tags        []string              `json:"tags,omitempty"`
	Summary     string                `json:"summary,omitempty"`
	Description string                `json:"description,omitempty"`
	OperationID string                `json:"operationId"`
	Parameters  []parameter           `json:"parameters,omitempty"`
	Security    []map[string][]string `json:"security,omitempty"`
	Responses   map[string]response   `json:"responses"`
}

type parameter struct {
	Name        string `json:"name"`
	In          string `json:"in"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required"`
	Schema      schema `json:"schema"`
}

type response struct {
	Description string               `json:"description"`
	Headers     map[string]header    `json:"headers,omitempty"`
	Content     map[string]mediaType `json:"content,omitempty"`
}

type header struct {
	Description string `json:"description,omitempty"`
	Schema      schema `json:"schema"`
}

type mediaType struct {
	Schema  schema `json:"schema"`
	Example any    `json:"example,omitempty"`
}

type schema struct {
	Ref        string            `json:"$ref,omitempty"`
	Type       string            `json:"type,omitempty"`
	Format     string            `json:"format,omitempty"`
	MinLength  *int              `json:"minLength,omitempty"`
	Items      *schema           `json:"items,omitempty"`
	Properties map[string]schema `json:"properties,omitempty"`
	Required   []string          `json:"required,omitempty"`
	Example    any               `json:"example,omitempty"`
}

type components struct {
	Schemas         map[string]schema         `json:"schemas"`
	SecuritySchemes map[string]securityScheme `json:"securitySchemes"`
}

type securityScheme struct {
	Type        string     `json:"type"`
	Description string     `json:"description,omitempty"`
	Flows       oauthFlows `json:"flows"`
}

type oauthFlows struct {
	AuthorizationCode *oauthFlow `json:"authorizationCode,omitempty"`
	Password          *oauthFlow `json:"password,omitempty"`
	ClientCredentials *oauthFlow `json:"clientCredentials,omitempty"`
}

type oauthFlow struct {
	AuthorizationURL string            `json:"authorizationUrl,omitempty"`
	TokenURL         string            `json:"tokenUrl"`
	RefreshURL       string            `json:"refreshUrl,omitempty"`
	Scopes           map[string]string `json:"scopes"`
}
