package config

import (
	"flag"
	"io"
	"time"

	"github.com/fastsafe/fastsafe/internal/settings"
)

// EnvPrefix starts the name of every environment variable of a setting.
const EnvPrefix = "RS_"

// table lists every field of Config, in the order help text shows them.
var table = settings.Table[Config]{EnvPrefix: EnvPrefix, Settings: []settings.Setting[Config]{
	{Name: "addr", Usage: "`address` to listen on, host:port", Field: func(c *Config) any { return &c.Addr }},
	{Name: "metrics-addr", Usage: "separate `address` (host:port) that serves /metrics; empty serves it on --addr", Field: func(c *Config) any { return &c.MetricsAddr }, Shown: "none: /metrics on --addr"},
	{Name: "issuer", Usage: "authorization server `URL`, exactly the \"iss\" of the tokens; its RFC 8414 metadata names the key set", Field: func(c *Config) any { return &c.Issuer }},
	{Name: "audience", Usage: "this service's `name` in the tokens' \"aud\"", Field: func(c *Config) any { return &c.Audience }},
	{Name: "jwks-url", Usage: "`URL` of the authorization server's key set, when it must be fetched elsewhere than the issuer's metadata says", Field: func(c *Config) any { return &c.JWKSURL }, Shown: "none: discovered from the issuer"},
	{Name: "jwks-wait", Usage: "longest a request waits for the key set when its token names a key not cached; past it the request gets 503 with Retry-After while the fetch goes on", Field: func(c *Config) any { return &c.JWKSWait }},
	{Name: "trusted-proxies", Usage: "comma-separated `list` of proxy IP addresses or CIDR ranges whose X-Forwarded-For is believed", Field: func(c *Config) any { return &c.TrustedProxies }, Shown: "none"},
	{Name: "public-url", Usage: "`URL` clients reach this server at: its resource identifier (RFC 9728) and the base of its documentation", Field: func(c *Config) any { return &c.PublicURL }},
	{Name: "token-url", Usage: "token endpoint `URL` the API documentation gets tokens from", Field: func(c *Config) any { return &c.TokenURL }, Shown: "{issuer}/token"},
	{Name: "authorization-url", Usage: "authorization endpoint `URL` where the API documentation signs people in", Field: func(c *Config) any { return &c.AuthorizationURL }, Shown: "{issuer}/authorize"},
	{Name: "docs-client-id", Usage: "`client_id` of the public client the /docs page gets tokens as; its redirect URI is {public-url}/docs/oauth2-redirect.html", Field: func(c *Config) any { return &c.DocsClientID }},
	{Name: "log-level", Usage: "log `level`: debug, info, warn or error", Field: func(c *Config) any { return &c.LogLevel }},
	{Name: "log-format", Usage: "log `format`: text or json", Field: func(c *Config) any { return &c.LogFormat }},
	{Name: "shutdown-timeout", Usage: "how long a graceful shutdown may take before connections are closed", Field: func(c *Config) any { return &c.ShutdownTimeout }},
	{Name: "require-dpop", Usage: "accept only DPoP-bound tokens with a proof of their key (RFC 9449) at the protected routes, never bearer tokens", Field: func(c *Config) any { return &c.RequireDPoP }},
	{Name: "shutdown-drain", Usage: "how long a shutdown keeps serving, with /readyz unready, before it stops accepting connections, so that load balancers stop sending requests first; 0 stops at once", Field: func(c *Config) any { return &c.ShutdownDrain }},
	{Name: "token-cache-size", Usage: "how many verified tokens to remember, so that a token presented again skips its signature check until its exp; 0 verifies every request", Field: func(c *Config) any { return &c.TokenCacheSize }},
}}

// EnvName returns the RS_* environment variable of a flag: "jwks-url" is
// read from RS_JWKS_URL.
func EnvName(flagName string) string { return table.EnvName(flagName) }

// Load reads a Config from Defaults, the RS_* environment variables (read
// with getenv) over them and the flags in args over both. Load defines the
// settings' flags on fs and leaves the remaining arguments in fs.Args(); it
// does not validate the result (see Validate).
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	return table.Load(fs, args, getenv, Defaults())
}

// Register defines the resource server's flags on fs, bound to the fields
// of c, whose values are the defaults help shows; ApplyEnv then reads the
// environment.
func Register(fs *flag.FlagSet, c *Config) { table.Register(fs, c) }

// ApplyEnv sets each flag Register defined and args did not give from its
// RS_* variable; call it after fs.Parse.
func ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	return table.ApplyEnv(fs, getenv)
}

// FlagNames returns the names of the resource server's flags, in the
// order of the help text.
func FlagNames() []string { return table.FlagNames() }

// PrintFlags writes the help of every setting of fs, in the order of
// Config: flag, value name, usage, environment variable and default.
func PrintFlags(w io.Writer, fs *flag.FlagSet) { table.PrintFlags(w, fs) }

// FormatDuration writes d without trailing zero units, as the resource
// server's help and errors show durations (settings.FormatDuration).
func FormatDuration(d time.Duration) string { return settings.FormatDuration(d) }
