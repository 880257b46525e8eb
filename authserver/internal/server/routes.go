package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/authorize"
	"github.com/fastsafe/fastsafe/authserver/internal/discovery"
	"github.com/fastsafe/fastsafe/authserver/internal/metrics"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/registration"
	"github.com/fastsafe/fastsafe/authserver/internal/reqlog"
	"github.com/fastsafe/fastsafe/pkg/requestid"
)

type handlers struct {
	token, introspect, revoke http.Handler
	authorize                 *authorize.Handler
	userinfo                  http.Handler
	registration              *registration.Handler
}

// routes is the authorization server's whole HTTP surface.
func (s *Server) routes(h handlers) http.Handler {
	metadata := discovery.New(s.cfg.Issuer, s.cfg.SigningAlg)
	if h.registration.Enabled() {
		metadata.RegistrationEndpoint = s.cfg.Issuer + registration.Path
	}
	meta := discovery.Handler(metadata)
	mux := http.NewServeMux()
	// routes are the exact paths served, the route label of the metrics;
	// every other path is metrics.OtherRoute.
	routes := map[string]bool{}
	handle := func(pattern string, h http.Handler) {
		mux.Handle(pattern, h)
		routes[pattern] = true
	}
	// POST endpoints check their method themselves (form.Parse), to
	// answer a GET with an OAuth error body rather than the mux's text.
	handle("/token", cors(s.cfg.CORSOrigins, h.token))
	handle("/introspect", cors(s.cfg.CORSOrigins, h.introspect))
	handle("/revoke", cors(s.cfg.CORSOrigins, h.revoke))
	// The authorization endpoint and its pages (package authorize), and
	// the OpenID Connect UserInfo endpoint.
	handle(discovery.PathAuthorize, http.HandlerFunc(h.authorize.Authorize))
	handle(authorize.PathLogin, postOnly(http.HandlerFunc(h.authorize.Login)))
	handle(authorize.PathConsent, postOnly(http.HandlerFunc(h.authorize.Consent)))
	handle(discovery.PathLogout, http.HandlerFunc(h.authorize.Logout))
	handle(discovery.PathUserinfo, h.userinfo)
	// Dynamic client registration (RFC 7591, RFC 7592); 404 while off.
	handle(registration.Path, http.HandlerFunc(h.registration.Register))
	handle(registration.Path+"/{client_id}", http.HandlerFunc(h.registration.Manage))
	handle("/.well-known/jwks.json", getOnly(http.HandlerFunc(s.jwks)))
	handle("/.well-known/oauth-authorization-server", getOnly(meta))
	handle("/.well-known/openid-configuration", getOnly(meta))
	handle("/healthz", getOnly(http.HandlerFunc(s.healthz)))
	handle("/readyz", getOnly(http.HandlerFunc(s.readyz)))
	if s.cfg.MetricsAddr == "" {
		handle(MetricsPath, getOnly(s.metrics.Handler()))
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		oautherr.Write(w, nil, oautherr.NotFound())
	}))
	route := func(r *http.Request) string {
		switch {
		case routes[r.URL.Path]:
			return r.URL.Path
		case strings.HasPrefix(r.URL.Path, registration.Path+"/"):
			return registration.Path + "/{client_id}"
		}
		return metrics.OtherRoute
	}
	// The request id comes first, so that every later log line has it;
	// the metrics see the status the panic recovery of reqlog writes.
	return requestid.Middleware(s.metrics.Middleware(route)(reqlog.Middleware(s.logger, s.now)(secureHeaders(mux))))
}

// MetricsPath is where the metrics are served.
const MetricsPath = "/metrics"

// getOnly answers methods other than GET and HEAD with 405.
func getOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			oautherr.Write(w, nil, oautherr.MethodNotAllowed("GET, HEAD"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// postOnly answers methods other than POST with 405.
func postOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			oautherr.Write(w, nil, oautherr.MethodNotAllowed(http.MethodPost))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// jwks serves the published keys: public parts only, encoded by the
// keyring when keys change, not per request.
func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.cfg.JWKSMaxAge/time.Second)))
	h.Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(s.keyring.JWKS())
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusOK, "ok")
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(`{"status":"` + status + `"}` + "\n"))
}
