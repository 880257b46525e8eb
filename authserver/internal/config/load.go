package config

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults returns the settings used when neither a flag nor an environment
// variable says otherwise.
func Defaults() Config {
	return Config{
		Addr:                    ":9096",
		Issuer:                  "http://localhost:9096",
		DB:                      "data/authserver.db",
		AccessTokenTTL:          30 * time.Minute,
		RefreshTokenTTL:         24 * time.Hour,
		RefreshTokenAbsoluteTTL: 720 * time.Hour,
		SigningAlg:              "RS256",
		KeyActivateAfter:        10 * time.Minute,
		JWKSMaxAge:              5 * time.Minute,
		BcryptCost:              10,
		LogLevel:                "info",
		LogFormat:               "text",
		ShutdownTimeout:         15 * time.Second,
		ShutdownDrain:           5 * time.Second,
		LoginMaxFailures:        5,
		LoginLockout:            time.Minute,
		ClientMaxFailures:       100,
		AddressMaxFailures:      50,
		BootstrapAudience:       []string{"search-api"},
		BootstrapScopes:         []string{"search"},
	}
}

// kind is the type of a setting's value, used to explain a malformed
// environment variable.
type kind int

const (
	kindString kind = iota
	kindDuration
	kindInt
	kindList
)

// setting describes one field of Config as a flag.
type setting struct {
	name  string // flag name; the environment variable is derived from it
	usage string
	kind  kind
	field func(c *Config) any // *string, *time.Duration or *int
}

// settings lists every field of Config, in the order help text shows them.
var settings = []setting{
	{"addr", "`address` to listen on, host:port", kindString, func(c *Config) any { return &c.Addr }},
	{"metrics-addr", "separate `address` (host:port) that serves /metrics; empty serves it on --addr", kindString, func(c *Config) any { return &c.MetricsAddr }},
	{"issuer", "issuer `URL`: the \"iss\" of every token; absolute http(s) URL without trailing slash, query or fragment", kindString, func(c *Config) any { return &c.Issuer }},
	{"db", "`path` of the SQLite database file, or a postgres:// URL", kindString, func(c *Config) any { return &c.DB }},
	{"access-token-ttl", "lifetime of an access token", kindDuration, func(c *Config) any { return &c.AccessTokenTTL }},
	{"refresh-token-ttl", "idle lifetime of a refresh token: how long it stays valid unless used", kindDuration, func(c *Config) any { return &c.RefreshTokenTTL }},
	{"refresh-token-absolute-ttl", "absolute lifetime of a refresh-token family, however often it is used", kindDuration, func(c *Config) any { return &c.RefreshTokenAbsoluteTTL }},
	{"signing-alg", "`algorithm` of new signing keys: RS256, ES256 or EdDSA", kindString, func(c *Config) any { return &c.SigningAlg }},
	{"key-activate-after", "how long a new signing key is published before it signs", kindDuration, func(c *Config) any { return &c.KeyActivateAfter }},
	{"key-rotation", "age at which the signing key is replaced by a new one, as 'keys rotate' does, by one replica of those sharing the database; must exceed --access-token-ttl plus --key-activate-after; 0 rotates only by hand", kindDuration, func(c *Config) any { return &c.KeyRotation }},
	{"jwks-max-age", "Cache-Control max-age of the JWKS", kindDuration, func(c *Config) any { return &c.JWKSMaxAge }},
	{"bcrypt-cost", "bcrypt `cost` of new password hashes, 4 to 31", kindInt, func(c *Config) any { return &c.BcryptCost }},
	{"bcrypt-concurrency", "most bcrypt computations (password checks) at once; 0 is one per CPU core", kindInt, func(c *Config) any { return &c.BcryptConcurrency }},
	{"log-level", "log `level`: debug, info, warn or error", kindString, func(c *Config) any { return &c.LogLevel }},
	{"log-format", "log `format`: text or json", kindString, func(c *Config) any { return &c.LogFormat }},
	{"shutdown-timeout", "how long a graceful shutdown may take before connections are closed", kindDuration, func(c *Config) any { return &c.ShutdownTimeout }},
	{"shutdown-drain", "how long a shutdown keeps serving, with /readyz unready, before it stops accepting connections, so that load balancers stop sending requests first; 0 stops at once", kindDuration, func(c *Config) any { return &c.ShutdownDrain }},
	{"cors-origins", "comma-separated browser `origins` (scheme://host[:port]) allowed to call the token endpoint, such as the API docs page", kindList, func(c *Config) any { return (*listValue)(&c.CORSOrigins) }},
	{"login-max-failures", "failed password logins that lock an account out, from any address; while locked out even the right password fails; 0 turns it off", kindInt, func(c *Config) any { return &c.LoginMaxFailures }},
	{"login-lockout", "length of the first lockout of an account, client or address; each further lockout doubles, up to 64 times as long", kindDuration, func(c *Config) any { return &c.LoginLockout }},
	{"client-max-failures", "failed authentications of a client, and failed logins through it, that lock the client out (429); 0 turns it off", kindInt, func(c *Config) any { return &c.ClientMaxFailures }},
	{"address-max-failures", "failed logins and client authentications from one source address (IPv6: one /64) that lock it out (429); 0 turns it off", kindInt, func(c *Config) any { return &c.AddressMaxFailures }},
	{"trusted-proxies", "comma-separated `addresses` or CIDR ranges of reverse proxies whose X-Forwarded-For names the source address", kindList, func(c *Config) any { return (*listValue)(&c.TrustedProxies) }},
	{"bootstrap-user", "serve: `name` of a user to create the first time the server runs on the database, and never again", kindString, func(c *Config) any { return &c.BootstrapUser }},
	{"bootstrap-password", "serve: `password` of --bootstrap-user; prefer the environment variable, as flags are visible to every local user", kindString, func(c *Config) any { return &c.BootstrapPassword }},
	{"bootstrap-client-id", "serve: `ID` of a confidential client (password, client_credentials and refresh_token grants) to create the first time the server runs on the database", kindString, func(c *Config) any { return &c.BootstrapClientID }},
	{"bootstrap-client-secret", "serve: `secret` of --bootstrap-client-id, 32 to 512 visible ASCII characters; prefer the environment variable", kindString, func(c *Config) any { return &c.BootstrapClientSecret }},
	{"bootstrap-docs-client-id", "serve: `ID` of a public client (password and refresh_token grants) for an API docs page, created the first time the server runs on the database", kindString, func(c *Config) any { return &c.BootstrapDocsClientID }},
	{"bootstrap-audience", "serve: comma-separated `audiences` of the bootstrap clients' tokens", kindList, func(c *Config) any { return (*listValue)(&c.BootstrapAudience) }},
	{"bootstrap-scopes", "serve: comma-separated `scopes` of the bootstrap clients, and those the bootstrap user may be granted", kindList, func(c *Config) any { return (*listValue)(&c.BootstrapScopes) }},
}

// listValue is a comma-separated list flag; setting it replaces the list.
type listValue []string

func (l *listValue) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *listValue) Set(s string) error {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	*l = out
	return nil
}

// EnvName returns the environment variable of the flag with that name:
// AUTH_ followed by the name in upper case with dashes turned into
// underscores ("access-token-ttl" → "AUTH_ACCESS_TOKEN_TTL").
func EnvName(flagName string) string {
	return "AUTH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// FlagNames returns the names of the flags Register defines, in the order
// help text shows them.
func FlagNames() []string {
	names := make([]string, len(settings))
	for i, s := range settings {
		names[i] = s.name
	}
	return names
}

// Register defines on fs one flag per field of c, bound to that field, with
// c's current values as the defaults. The usage text of each flag names its
// environment variable and its default.
func Register(fs *flag.FlagSet, c *Config) {
	for _, s := range settings {
		switch p := s.field(c).(type) {
		case *string:
			fs.StringVar(p, s.name, *p, s.usage+envAndDefault(s.name, strconv.Quote(*p)))
		case *time.Duration:
			fs.DurationVar(p, s.name, *p, s.usage+envAndDefault(s.name, FormatDuration(*p)))
		case *int:
			fs.IntVar(p, s.name, *p, s.usage+envAndDefault(s.name, strconv.Itoa(*p)))
		case *listValue:
			def := p.String()
			if def == "" {
				def = "none"
			}
			fs.Var(p, s.name, s.usage+envAndDefault(s.name, def))
		default:
			panic(fmt.Sprintf("config: setting %q has unsupported type %T", s.name, p))
		}
	}
}

func envAndDefault(name, def string) string {
	return fmt.Sprintf(" (env %s, default %s)", EnvName(name), def)
}

// ApplyEnv gives every flag of fs that Register defined and that was not set
// on the command line the value of its environment variable, as read by
// getenv. An empty or unset variable leaves the flag alone. Call it after
// fs.Parse, so the precedence is flag, then environment, then default.
//
// A malformed value is an error naming the variable. Every malformed
// variable is reported, not just the first.
func ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	for _, s := range settings {
		if set[s.name] || fs.Lookup(s.name) == nil {
			continue
		}
		env := EnvName(s.name)
		v := getenv(env)
		if v == "" {
			continue
		}
		if err := fs.Set(s.name, v); err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s=%q is not %s", env, v, s.kind.want()))
		}
	}
	return errors.Join(errs...)
}

func (k kind) want() string {
	switch k {
	case kindDuration:
		return "a duration such as 90s, 30m or 1h30m"
	case kindInt:
		return "a whole number"
	default:
		return "valid"
	}
}

// Load reads a Config: the defaults, overridden by the AUTH_* environment
// variables read with getenv, overridden by the flags in args. It defines
// the settings' flags on fs (which may hold other flags, but not these) and
// parses args with it, so fs.Args() holds the remaining arguments
// afterwards. Load does not validate the result; see Validate.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	c := Defaults()
	Register(fs, &c)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if err := ApplyEnv(fs, getenv); err != nil {
		return Config{}, err
	}
	return c, nil
}

// FormatDuration formats d like time.Duration.String without the zero
// units at its end: "30m" rather than "30m0s", "720h" rather than
// "720h0m0s".
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
