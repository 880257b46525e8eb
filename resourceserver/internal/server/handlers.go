package server

import (
	"encoding/json"
	"github.com/fastsafe/fastsafe/pkg/bearer"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
)

// message is the body of the API's answers.
type message struct {
	Message string `json:"message"`
}

// errorBody is the body of every error answer, in the shape of RFC 6749
// §5.2 and RFC 6750 §3.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

type status struct {
	Status string `json:"status"`
}

// The fixed answers are encoded once, not per request, exactly as c.JSON
// would encode them.
var (
	rootBody  = mustJSON(message{"Welcome to Test App for Security"})
	appleBody = mustJSON(message{"found apple in search"})
)

const jsonContentType = "application/json; charset=utf-8" // as c.JSON sends it

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (s *server) root(c *gin.Context) {
	c.Data(http.StatusOK, jsonContentType, rootBody)
}

// search answers GET /search?query=Q once the token has been checked.
// The query must come exactly once and not be empty.
func (s *server) search(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	values, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		invalidRequest(c, "the query string is malformed")
		return
	}
	q := values["query"]
	switch {
	case len(q) == 0:
		invalidRequest(c, "the query parameter is missing")
		return
	case len(q) > 1:
		invalidRequest(c, "the query parameter must be given once")
		return
	case q[0] == "":
		invalidRequest(c, "the query parameter is empty")
		return
	}
	if q[0] == "apple" {
		c.Data(http.StatusOK, jsonContentType, appleBody)
		return
	}
	c.JSON(http.StatusOK, message{q[0] + " not found in search"})
}

func invalidRequest(c *gin.Context, desc string) {
	c.AbortWithStatusJSON(http.StatusBadRequest, errorBody{"invalid_request", desc})
}

func (s *server) healthz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, status{"ok"})
}

// readyz answers 200 once the signing keys are loaded, 503 before, and
// 503 again once a shutdown has begun.
func (s *server) readyz(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if s.shuttingDown() {
		c.JSON(http.StatusServiceUnavailable, status{"shutting down"})
		return
	}
	if !s.keys.Ready() {
		c.JSON(http.StatusServiceUnavailable, status{"signing keys not loaded"})
		return
	}
	c.JSON(http.StatusOK, status{"ready"})
}

// metadata is the protected resource metadata of RFC 9728 §2.
type metadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceDocumentation  string   `json:"resource_documentation"`
	// RFC 9728 §2: the DPoP proof algorithms accepted, and whether only
	// DPoP-bound tokens are.
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported,omitempty"`
	DPoPBoundAccessTokensRequired bool     `json:"dpop_bound_access_tokens_required,omitempty"`
}

func protectedResourceMetadata(publicURL, issuer string, dpop bearer.ProofVerifier, requireDPoP bool) ([]byte, error) {
	m := metadata{
		Resource:                      publicURL,
		AuthorizationServers:          []string{issuer},
		ScopesSupported:               []string{ScopeSearch},
		BearerMethodsSupported:        []string{"header"},
		ResourceDocumentation:         publicURL + DocsPath,
		DPoPBoundAccessTokensRequired: requireDPoP,
	}
	if dpop != nil {
		m.DPoPSigningAlgValuesSupported = dpop.Algorithms()
	}
	return json.MarshalIndent(m, "", "  ")
}

// Public documents may be read by any origin: they hold no secret and are
// fetched without credentials.
func (s *server) protectedResourceMetadata(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", "*")
	c.Header("Cache-Control", "public, max-age=300")
	c.Data(http.StatusOK, "application/json", s.metadata)
}

func (s *server) openAPIDocument(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", "*")
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/json", s.openAPI)
}

// Error answers are never cached, like every answer that depends on the
// request.
func (s *server) notFound(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusNotFound, errorBody{"not_found", "no such endpoint"})
}

func (s *server) methodNotAllowed(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusMethodNotAllowed, errorBody{"method_not_allowed", "the endpoint does not allow this method"})
}
