package config

import (
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// Config is every setting of the resource server. Each field is both a flag
// and an environment variable named after it (--addr ↔ RS_ADDR).
type Config struct {
	Addr     string // --addr, RS_ADDR: listen address (":8000")
	Issuer   string // --issuer, RS_ISSUER: the authorization server, exactly as tokens carry it in "iss" ("http://localhost:9096")
	Audience string // --audience, RS_AUDIENCE: this service's name in the tokens' "aud" ("search-api")

	// MetricsAddr, --metrics-addr, RS_METRICS_ADDR, is a separate listen
	// address for /metrics; empty (the default) serves /metrics on Addr.
	MetricsAddr string

	// JWKSURL, --jwks-url, RS_JWKS_URL, is where the key set is fetched
	// from. Empty means the jwks_uri of the issuer's RFC 8414 metadata.
	// Set it when the resource server reaches the authorization server
	// by another address than the public issuer URL.
	JWKSURL string

	// JWKSWait, --jwks-wait, RS_JWKS_WAIT, bounds how long a request with
	// a token whose key is not cached waits for the key set to be
	// fetched (2s): past it, the request gets 503 with Retry-After while
	// the fetch goes on for the requests that follow.
	JWKSWait time.Duration

	// TrustedProxies, --trusted-proxies, RS_TRUSTED_PROXIES, is a comma
	// separated list of IP addresses or CIDR ranges whose X-Forwarded-For
	// is believed. Empty trusts no proxy.
	TrustedProxies string

	PublicURL string // --public-url, RS_PUBLIC_URL: this resource's identifier and base URL ("http://localhost:8000")
	TokenURL  string // --token-url, RS_TOKEN_URL: token endpoint shown in the API docs (empty: {issuer}/token)
	// AuthorizationURL, --authorization-url, RS_AUTHORIZATION_URL, is
	// the authorization endpoint where the API docs send people to sign
	// in (empty: {issuer}/authorize).
	AuthorizationURL string
	DocsClientID     string // --docs-client-id, RS_DOCS_CLIENT_ID: public client the /docs page gets tokens as ("docs")

	LogLevel  string // --log-level: debug, info, warn, error (info)
	LogFormat string // --log-format: text or json (text)

	ShutdownTimeout time.Duration // --shutdown-timeout (15s)
	// ShutdownDrain, --shutdown-drain, RS_SHUTDOWN_DRAIN, is how long
	// the server goes on serving, with /readyz answering 503, after a
	// shutdown begins and before it stops accepting connections, so that
	// load balancers stop sending it requests first (5s).
	ShutdownDrain time.Duration

	// TokenCacheSize, --token-cache-size, RS_TOKEN_CACHE_SIZE, is how
	// many verified tokens are remembered (verify.Cached): a token
	// presented again is accepted without a new signature check until its
	// exp, or until its signing key leaves the key set. 0 verifies every
	// request. Each entry takes well under a kilobyte.
	TokenCacheSize int

	// RequireDPoP, --require-dpop, RS_REQUIRE_DPOP, refuses bearer
	// tokens at the protected routes: only DPoP-bound tokens, with a
	// proof of their key for each request (RFC 9449), are accepted. Off,
	// both are accepted, and a key-bound token only with its proof.
	RequireDPoP bool
}

// DefaultTokenCacheSize is the default of TokenCacheSize: a few
// megabytes at most.
const DefaultTokenCacheSize = 10000

// MaxTokenCacheSize bounds TokenCacheSize (verify.MaxCacheSize).
const MaxTokenCacheSize = 1 << 24

// Defaults returns the settings used when neither a flag nor an environment
// variable says otherwise.
func Defaults() Config {
	return Config{
		Addr:            ":8000",
		Issuer:          "http://localhost:9096",
		Audience:        "search-api",
		PublicURL:       "http://localhost:8000",
		DocsClientID:    "docs",
		LogLevel:        "info",
		LogFormat:       "text",
		ShutdownTimeout: 15 * time.Second,
		ShutdownDrain:   5 * time.Second,
		JWKSWait:        jwks.DefaultMaxWait,
		TokenCacheSize:  DefaultTokenCacheSize,
	}
}

// TokenEndpoint returns the token endpoint to show in the API docs:
// TokenURL if set, else the issuer's /token.
func (c Config) TokenEndpoint() string {
	if c.TokenURL != "" {
		return c.TokenURL
	}
	return c.Issuer + "/token"
}

// AuthorizationEndpoint returns the authorization endpoint the API docs
// sign people in at: AuthorizationURL if set, else the issuer's
// /authorize.
func (c Config) AuthorizationEndpoint() string {
	if c.AuthorizationURL != "" {
		return c.AuthorizationURL
	}
	return c.Issuer + "/authorize"
}

// Proxies returns TrustedProxies as a list, without blanks; nil when no
// proxy is trusted.
func (c Config) Proxies() []string {
	var out []string
	for p := range strings.SplitSeq(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
