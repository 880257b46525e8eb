package config

import (
	"flag"
	"time"

	"github.com/fastsafe/fastsafe/internal/settings"
)

// Defaults returns the settings used when neither a flag nor an environment
// variable says otherwise.
func Defaults() Config {
	return Config{
		Addr:                      ":9096",
		Issuer:                    "http://localhost:9096",
		DB:                        "data/authserver.db",
		AccessTokenTTL:            30 * time.Minute,
		RefreshTokenTTL:           24 * time.Hour,
		RefreshTokenAbsoluteTTL:   720 * time.Hour,
		RefreshTokenGrace:         30 * time.Second,
		SessionTTL:                12 * time.Hour,
		SigningAlg:                "RS256",
		KeyActivateAfter:          10 * time.Minute,
		JWKSMaxAge:                5 * time.Minute,
		BcryptCost:                10,
		LogLevel:                  "info",
		LogFormat:                 "text",
		ShutdownTimeout:           15 * time.Second,
		ShutdownDrain:             5 * time.Second,
		LoginMaxFailures:          5,
		LoginLockout:              time.Minute,
		ClientMaxFailures:         100,
		AddressMaxFailures:        50,
		Registration:              "off",
		RegistrationGrants:        []string{"authorization_code", "refresh_token"},
		RegistrationMaxPerAddress: 20,
		RegistrationUnusedTTL:     24 * time.Hour,
		CleanupInterval:           10 * time.Minute,
		BootstrapAudience:         []string{"search-api"},
		BootstrapScopes:           []string{"search"},
	}
}

// table lists every field of Config, in the order help text shows them.
var table = settings.Table[Config]{EnvPrefix: "AUTH_", Settings: []settings.Setting[Config]{
	{Name: "addr", Usage: "`address` to listen on, host:port", Field: func(c *Config) any { return &c.Addr }},
	{Name: "metrics-addr", Usage: "separate `address` (host:port) that serves /metrics; empty serves it on --addr", Field: func(c *Config) any { return &c.MetricsAddr }},
	{Name: "issuer", Usage: "issuer `URL`: the \"iss\" of every token; absolute http(s) URL without trailing slash, query or fragment", Field: func(c *Config) any { return &c.Issuer }},
	{Name: "db", Usage: "`path` of the SQLite database file, or a postgres:// URL", Field: func(c *Config) any { return &c.DB }},
	{Name: "create-db", Usage: "serve: create the database if it is missing; without it serve refuses to start on a missing database rather than replace a lost one with an empty one ('migrate' always creates)", Field: func(c *Config) any { return &c.CreateDB }},
	{Name: "access-token-ttl", Usage: "lifetime of an access token", Field: func(c *Config) any { return &c.AccessTokenTTL }},
	{Name: "refresh-token-ttl", Usage: "idle lifetime of a refresh token: how long it stays valid unless used", Field: func(c *Config) any { return &c.RefreshTokenTTL }},
	{Name: "refresh-token-absolute-ttl", Usage: "absolute lifetime of a refresh-token family, however often it is used", Field: func(c *Config) any { return &c.RefreshTokenAbsoluteTTL }},
	{Name: "refresh-token-grace", Usage: "how long after a rotation the client may present the rotated refresh token again (a retry after a lost answer) and get the same new one; 0 makes every second use reuse, which revokes the grant", Field: func(c *Config) any { return &c.RefreshTokenGrace }},
	{Name: "session-ttl", Usage: "how long a browser session lasts after a person signs in on the sign-in page; until then single sign-on asks no password", Field: func(c *Config) any { return &c.SessionTTL }},
	{Name: "signing-alg", Usage: "`algorithm` of new signing keys: RS256, ES256 or EdDSA", Field: func(c *Config) any { return &c.SigningAlg }},
	{Name: "key-activate-after", Usage: "how long a new signing key is published before it signs", Field: func(c *Config) any { return &c.KeyActivateAfter }},
	{Name: "key-rotation", Usage: "age at which the signing key is replaced by a new one, as 'keys rotate' does, by one replica of those sharing the database; must exceed --access-token-ttl plus --key-activate-after; 0 rotates only by hand", Field: func(c *Config) any { return &c.KeyRotation }},
	{Name: "jwks-max-age", Usage: "Cache-Control max-age of the JWKS", Field: func(c *Config) any { return &c.JWKSMaxAge }},
	{Name: "bcrypt-cost", Usage: "bcrypt `cost` of new password hashes, 4 to 31", Field: func(c *Config) any { return &c.BcryptCost }},
	{Name: "bcrypt-concurrency", Usage: "most bcrypt computations (password checks) at once; 0 is one per CPU core", Field: func(c *Config) any { return &c.BcryptConcurrency }},
	{Name: "log-level", Usage: "log `level`: debug, info, warn or error", Field: func(c *Config) any { return &c.LogLevel }},
	{Name: "log-format", Usage: "log `format`: text or json", Field: func(c *Config) any { return &c.LogFormat }},
	{Name: "shutdown-timeout", Usage: "how long a graceful shutdown may take before connections are closed", Field: func(c *Config) any { return &c.ShutdownTimeout }},
	{Name: "shutdown-drain", Usage: "how long a shutdown keeps serving, with /readyz unready, before it stops accepting connections, so that load balancers stop sending requests first; 0 stops at once", Field: func(c *Config) any { return &c.ShutdownDrain }},
	{Name: "cors-origins", Usage: "comma-separated browser `origins` (scheme://host[:port]) allowed to call the token endpoint, such as the API docs page", Field: func(c *Config) any { return (*settings.List)(&c.CORSOrigins) }},
	{Name: "login-max-failures", Usage: "failed password logins that lock an account out, from any address; while locked out even the right password fails; 0 turns it off", Field: func(c *Config) any { return &c.LoginMaxFailures }},
	{Name: "login-lockout", Usage: "length of the first lockout of an account, client or address; each further lockout doubles, up to 64 times as long", Field: func(c *Config) any { return &c.LoginLockout }},
	{Name: "client-max-failures", Usage: "failed authentications of a client, and failed logins through it, that lock the client out (429); 0 turns it off", Field: func(c *Config) any { return &c.ClientMaxFailures }},
	{Name: "address-max-failures", Usage: "failed logins and client authentications from one source address (IPv6: one /64) that lock it out (429); 0 turns it off", Field: func(c *Config) any { return &c.AddressMaxFailures }},
	{Name: "dpop-nonce", Usage: "require DPoP proofs at the token endpoint to carry a nonce the server issued in a DPoP-Nonce header (RFC 9449 §8); replicas sharing a database share the nonces", Field: func(c *Config) any { return &c.DPoPNonce }},
	{Name: "trusted-proxies", Usage: "comma-separated `addresses` or CIDR ranges of reverse proxies whose X-Forwarded-For names the source address", Field: func(c *Config) any { return (*settings.List)(&c.TrustedProxies) }},
	{Name: "registration", Usage: "dynamic client registration (RFC 7591) at /register: off, open (anyone, throttled per address) or token (an initial access token from 'registration-tokens add')", Field: func(c *Config) any { return &c.Registration }},
	{Name: "registration-grants", Usage: "comma-separated grant `types` registered clients may have: authorization_code, refresh_token, client_credentials", Field: func(c *Config) any { return (*settings.List)(&c.RegistrationGrants) }},
	{Name: "registration-scopes", Usage: "comma-separated API `scopes` registered clients may ask for, beyond openid, profile and email", Field: func(c *Config) any { return (*settings.List)(&c.RegistrationScopes) }},
	{Name: "registration-audiences", Usage: "comma-separated `audiences` of registered clients' access tokens", Field: func(c *Config) any { return (*settings.List)(&c.RegistrationAudiences) }},
	{Name: "registration-max-per-address", Usage: "clients one source address (IPv6: one /64) may register an hour; 0 turns the limit off", Field: func(c *Config) any { return &c.RegistrationMaxPerAddress }},
	{Name: "cleanup-interval", Usage: "how often expired refresh grants, grants revoked over an hour ago, rotated refresh tokens over an hour past their expiry, expired revocation records, codes and sessions, and unused registered clients, are deleted", Field: func(c *Config) any { return &c.CleanupInterval }},
	{Name: "registration-unused-ttl", Usage: "how long a registered client that never obtained a token is kept; 0 keeps it", Field: func(c *Config) any { return &c.RegistrationUnusedTTL }},
	{Name: "bootstrap-user", Usage: "serve: `name` of a user to create the first time the server runs on the database, and never again", Field: func(c *Config) any { return &c.BootstrapUser }},
	{Name: "bootstrap-password", Usage: "serve: `password` of --bootstrap-user; prefer the environment variable, as flags are visible to every local user", Field: func(c *Config) any { return &c.BootstrapPassword }},
	{Name: "bootstrap-client-id", Usage: "serve: `ID` of a confidential client (password, client_credentials and refresh_token grants) to create the first time the server runs on the database", Field: func(c *Config) any { return &c.BootstrapClientID }},
	{Name: "bootstrap-client-secret", Usage: "serve: `secret` of --bootstrap-client-id, 32 to 512 visible ASCII characters; prefer the environment variable", Field: func(c *Config) any { return &c.BootstrapClientSecret }},
	{Name: "bootstrap-docs-client-id", Usage: "serve: `ID` of a public client (password and refresh_token grants; authorization_code with --bootstrap-docs-redirect-uris) for an API docs page, created the first time the server runs on the database", Field: func(c *Config) any { return &c.BootstrapDocsClientID }},
	{Name: "bootstrap-docs-redirect-uris", Usage: "serve: comma-separated `URIs` that give --bootstrap-docs-client-id the authorization_code grant: the exact redirect URIs of the docs page's sign-in, which asks no consent (a first-party page)", Field: func(c *Config) any { return (*settings.List)(&c.BootstrapDocsRedirectURIs) }},
	{Name: "bootstrap-rp-client-id", Usage: "serve: `ID` of a confidential client that signs people in (authorization_code and refresh_token grants, scopes openid, profile and email besides --bootstrap-scopes), created the first time the server runs on the database", Field: func(c *Config) any { return &c.BootstrapRPClientID }},
	{Name: "bootstrap-rp-client-secret", Usage: "serve: `secret` of --bootstrap-rp-client-id, 32 to 512 visible ASCII characters; prefer the environment variable", Field: func(c *Config) any { return &c.BootstrapRPClientSecret }},
	{Name: "bootstrap-rp-redirect-uris", Usage: "serve: comma-separated exact redirect `URIs` of --bootstrap-rp-client-id (required with it): https, or http on a loopback host", Field: func(c *Config) any { return (*settings.List)(&c.BootstrapRPRedirectURIs) }},
	{Name: "bootstrap-rp-client-name", Usage: "serve: the `name` of --bootstrap-rp-client-id shown on the sign-in and consent pages", Field: func(c *Config) any { return &c.BootstrapRPClientName }, Shown: "its ID"},
	{Name: "bootstrap-audience", Usage: "serve: comma-separated `audiences` of the bootstrap clients' tokens", Field: func(c *Config) any { return (*settings.List)(&c.BootstrapAudience) }},
	{Name: "bootstrap-scopes", Usage: "serve: comma-separated `scopes` of the bootstrap clients, and those the bootstrap user may be granted", Field: func(c *Config) any { return (*settings.List)(&c.BootstrapScopes) }},
}}

// The functions below are the authorization server's side of package
// settings, bound to its table of settings.

// EnvName is the AUTH_* variable of a flag ("access-token-ttl" →
// "AUTH_ACCESS_TOKEN_TTL").
func EnvName(flagName string) string { return table.EnvName(flagName) }

// FlagNames lists the settings' flags as help shows them.
func FlagNames() []string { return table.FlagNames() }

// Register binds one flag per setting to its field of c, with c's values
// as the defaults and usage texts naming AUTH_* variables.
func Register(fs *flag.FlagSet, c *Config) { table.Register(fs, c) }

// ApplyEnv sets, after fs.Parse, each setting not given as a flag from its
// AUTH_* variable, read with getenv; it reports every malformed variable.
func ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	return table.ApplyEnv(fs, getenv)
}

// Load reads a Config: Defaults, overridden by AUTH_* variables,
// overridden by the flags in args, parsed with fs (which may hold other
// flags; fs.Args() holds the rest of args). It does not call Validate.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	return table.Load(fs, args, getenv, Defaults())
}

// FormatDuration writes d as the settings' help and errors do: "30m",
// "720h", "1h30m".
func FormatDuration(d time.Duration) string { return settings.FormatDuration(d) }
