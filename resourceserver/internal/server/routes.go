package server

import (
	"github.com/fastsafe/fastsafe/pkg/ginbearer"
	"github.com/gin-gonic/gin"

	"github.com/fastsafe/fastsafe/resourceserver/internal/apidocs"
)

// routes registers the whole HTTP surface of the resource server on e.
func (s *server) routes(e *gin.Engine) {
	// The request id comes first, so that every later log line has it;
	// then the request's span, if tracing, for the same reason.
	e.Use(requestID)
	if s.tracer != nil {
		e.Use(s.traceRequests)
	}
	if s.metrics != nil {
		e.Use(s.metrics.Requests())
	}
	e.Use(s.requestLog(), s.recovery(), securityHeaders, s.closeWhileDraining)
	if s.serveMetrics {
		e.GET(MetricsPath, gin.WrapH(s.metrics.Handler()))
	}

	// Public.
	e.GET("/", s.root)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	// Discovery and documentation.
	e.GET(MetadataPath, s.protectedResourceMetadata)
	e.GET(OpenAPIPath, s.openAPIDocument)
	e.GET(DocsPath, gin.WrapF(s.ui.Page))
	e.GET(DocsPath+"/"+apidocs.InitializerName, gin.WrapF(s.ui.Initializer))
	e.GET(DocsPath+"/"+apidocs.RedirectPageName, gin.WrapF(s.ui.RedirectPage))
	e.GET(DocsPath+"/"+apidocs.AssetBundle, gin.WrapF(s.ui.Asset(apidocs.AssetBundle)))
	e.GET(DocsPath+"/"+apidocs.AssetCSS, gin.WrapF(s.ui.Asset(apidocs.AssetCSS)))
	e.GET(DocsPath+"/"+apidocs.AssetFavicon, gin.WrapF(s.ui.Asset(apidocs.AssetFavicon)))

	// Protected: a valid bearer token for this audience, and the scope
	// each route names.
	protect := []gin.HandlerFunc{ginbearer.Authenticate(s.verifier, s.bearer)}
	if s.metrics != nil {
		protect = append([]gin.HandlerFunc{s.metrics.Authentication()}, protect...)
	}
	api := e.Group("/", protect...)
	api.GET("/search", ginbearer.RequireScopes(s.bearer, ScopeSearch), s.search)

	e.NoRoute(s.notFound)
	e.NoMethod(s.methodNotAllowed)
}
