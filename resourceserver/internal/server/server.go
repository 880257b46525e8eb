package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/fastsafe/fastsafe/pkg/bearer"
	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/pkg/requestid"
	"github.com/fastsafe/fastsafe/resourceserver/internal/apidocs"
	"github.com/fastsafe/fastsafe/resourceserver/internal/metrics"
)

// ScopeSearch is the scope GET /search requires.
const ScopeSearch = "search"

// scopes are the scopes this API understands, with what each grants.
var scopes = map[string]string{
	ScopeSearch: "Search the API",
}

// Paths of the discovery documents.
const (
	MetadataPath = "/.well-known/oauth-protected-resource"
	OpenAPIPath  = "/openapi.json"
	DocsPath     = "/docs"
)

// DocsRedirectURL is the redirect URI of the /docs page's client for a
// server whose public URL is publicURL: where the authorization server
// sends people back to after they sign in from the page.
func DocsRedirectURL(publicURL string) string {
	return publicURL + DocsPath + "/" + apidocs.RedirectPageName
}

// KeyStatus tells whether the authorization server's signing keys are
// loaded, that is whether tokens can be verified yet.
type KeyStatus interface {
	Ready() bool
}

// Options are the parts and settings of the server.
type Options struct {
	// Verifier checks bearer tokens: signature, issuer, audience, expiry.
	Verifier bearer.TokenVerifier
	// Keys tells /readyz whether the signing keys are loaded.
	Keys KeyStatus
	// DPoP checks the proofs of DPoP-bound tokens (RFC 9449); nil accepts
	// bearer tokens only. RequireDPoP accepts nothing else.
	DPoP        bearer.ProofVerifier
	RequireDPoP bool
	// ShuttingDown, if not nil, tells whether a shutdown has begun: /readyz
	// then answers 503, and every answer closes its connection, so that
	// clients reconnect, through the load balancer, to another server.
	ShuttingDown func() bool

	Issuer       string // the authorization server, as in the tokens' "iss"
	Audience     string // this service in the tokens' "aud"; also the realm of the challenges
	PublicURL    string // this resource's identifier (RFC 9728) and base URL
	TokenURL     string // the token endpoint the documentation shows
	DocsClientID string // the public client the /docs page gets tokens as
	// AuthorizationURL is the authorization endpoint where the /docs
	// page signs people in; they come back to DocsRedirectURL.
	AuthorizationURL string

	// TrustedProxies are the addresses or CIDR ranges whose
	// X-Forwarded-For is believed; none when empty.
	TrustedProxies []string

	Logger *slog.Logger
	Now    func() time.Time

	// Metrics, if not nil, counts requests and token checks and is
	// served at MetricsPath, unless MetricsElsewhere is set (the metrics
	// then have an address of their own).
	Metrics          *metrics.Metrics
	MetricsElsewhere bool

	// TracerProvider, if not nil, runs every request in a server span
	// that continues the trace of its traceparent header, with the
	// token's verification in a span under it; nil traces nothing.
	TracerProvider trace.TracerProvider
}

// MetricsPath is where the metrics are served.
const MetricsPath = "/metrics"

// server holds what the handlers need.
type server struct {
	verifier bearer.TokenVerifier
	keys     KeyStatus
	// shuttingDown tells whether a shutdown has begun.
	shuttingDown func() bool
	bearer       bearer.Options
	metadata     []byte
	openAPI      []byte
	ui           *apidocs.SwaggerUI
	logger       *slog.Logger
	now          func() time.Time
	metrics      *metrics.Metrics
	// serveMetrics is whether MetricsPath is a route.
	serveMetrics bool
	// tracer starts the requests' spans; nil when not tracing.
	tracer trace.Tracer
}

// New returns the resource server's handler.
func New(o Options) (*gin.Engine, error) {
	switch {
	case o.Verifier == nil || o.Keys == nil:
		return nil, errors.New("server: a verifier and a key status are required")
	case o.Logger == nil || o.Now == nil:
		return nil, errors.New("server: a logger and a clock are required")
	case o.Issuer == "" || o.Audience == "" || o.PublicURL == "":
		return nil, errors.New("server: issuer, audience and public URL are required")
	}
	metadataURL, err := MetadataURL(o.PublicURL)
	if err != nil {
		return nil, err
	}
	// Every log line written with a request's context carries its id.
	o.Logger = requestid.WithLogger(o.Logger)
	if o.ShuttingDown == nil {
		o.ShuttingDown = func() bool { return false }
	}
	if o.Metrics != nil {
		o.Verifier = o.Metrics.Verifier(o.Verifier)
	}
	s := &server{
		verifier:     o.Verifier,
		keys:         o.Keys,
		shuttingDown: o.ShuttingDown,
		bearer: bearer.Options{
			Realm:            o.Audience,
			ResourceMetadata: metadataURL,
			Logger:           o.Logger,
			DPoP:             o.DPoP,
			RequireDPoP:      o.RequireDPoP && o.DPoP != nil,
			PublicURL:        o.PublicURL,
		},
		logger:       o.Logger,
		now:          o.Now,
		metrics:      o.Metrics,
		serveMetrics: o.Metrics != nil && !o.MetricsElsewhere,
	}
	if o.TracerProvider != nil {
		s.tracer = o.TracerProvider.Tracer(TracerScope)
	}
	if s.metadata, err = protectedResourceMetadata(o.PublicURL, o.Issuer, o.DPoP, s.bearer.RequireDPoP); err != nil {
		return nil, err
	}
	if s.openAPI, err = apidocs.OpenAPI(apidocs.OpenAPIOptions{
		AuthorizationURL: o.AuthorizationURL, TokenURL: o.TokenURL, Scopes: scopes, SearchScope: ScopeSearch,
	}); err != nil {
		return nil, err
	}
	// The page is at /docs: its assets are under docs/ and the document
	// is openapi.json, both relative, so that the page also works when a
	// proxy mounts the server under a path.
	// The redirect URI is registered at the authorization server and
	// compared exactly: it is absolute, from the public URL.
	if s.ui, err = apidocs.NewSwaggerUI(apidocs.UIOptions{
		SpecURL:     OpenAPIPath[1:],
		AssetBase:   DocsPath[1:] + "/",
		ClientID:    o.DocsClientID,
		RedirectURL: DocsRedirectURL(o.PublicURL),
		Scopes:      []string{ScopeSearch},
		TokenURL:    o.TokenURL,
	}); err != nil {
		return nil, err
	}

	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	if err := e.SetTrustedProxies(o.TrustedProxies); err != nil {
		return nil, fmt.Errorf("server: trusted proxies: %w", err)
	}
	s.routes(e)
	return e, nil
}

// MetadataURL returns the URL of the protected resource metadata of the
// resource publicURL, as RFC 9728 §3.1 builds it: the well-known path
// inserted between the host and the resource's path.
func MetadataURL(publicURL string) (string, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("server: public URL %q is not absolute", publicURL)
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: MetadataPath + u.Path}).String(), nil
}
