package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// kind is the type of a setting's value, used to explain a malformed
// environment variable.
type kind int

const (
	kindString kind = iota
	kindDuration
	kindInt
)

// setting describes one field of Config as a flag.
type setting struct {
	name  string // flag name; the environment variable is derived from it
	usage string
	kind  kind
	field func(c *Config) any // *string, *time.Duration or *int
	shown string              // default as help shows it, when not the field's value
}

// settings lists every field of Config, in the order help text shows them.
var settings = []setting{
	{name: "addr", usage: "`address` to listen on, host:port", field: func(c *Config) any { return &c.Addr }},
	{name: "metrics-addr", usage: "separate `address` (host:port) that serves /metrics; empty serves it on --addr", field: func(c *Config) any { return &c.MetricsAddr }, shown: "none: /metrics on --addr"},
	{name: "issuer", usage: "authorization server `URL`, exactly the \"iss\" of the tokens; its RFC 8414 metadata names the key set", field: func(c *Config) any { return &c.Issuer }},
	{name: "audience", usage: "this service's `name` in the tokens' \"aud\"", field: func(c *Config) any { return &c.Audience }},
	{name: "jwks-url", usage: "`URL` of the authorization server's key set, when it must be fetched elsewhere than the issuer's metadata says", field: func(c *Config) any { return &c.JWKSURL }, shown: "none: discovered from the issuer"},
	{name: "trusted-proxies", usage: "comma-separated `list` of proxy IP addresses or CIDR ranges whose X-Forwarded-For is believed", field: func(c *Config) any { return &c.TrustedProxies }, shown: "none"},
	{name: "public-url", usage: "`URL` clients reach this server at: its resource identifier (RFC 9728) and the base of its documentation", field: func(c *Config) any { return &c.PublicURL }},
	{name: "token-url", usage: "token endpoint `URL` the API documentation gets tokens from", field: func(c *Config) any { return &c.TokenURL }, shown: "{issuer}/token"},
	{name: "docs-client-id", usage: "`client_id` of the public client the /docs page gets tokens as", field: func(c *Config) any { return &c.DocsClientID }},
	{name: "log-level", usage: "log `level`: debug, info, warn or error", field: func(c *Config) any { return &c.LogLevel }},
	{name: "log-format", usage: "log `format`: text or json", field: func(c *Config) any { return &c.LogFormat }},
	{name: "shutdown-timeout", usage: "how long a graceful shutdown may take before connections are closed", kind: kindDuration, field: func(c *Config) any { return &c.ShutdownTimeout }},
	{name: "token-cache-size", usage: "how many verified tokens to remember, so that a token presented again skips its signature check until its exp; 0 verifies every request", kind: kindInt, field: func(c *Config) any { return &c.TokenCacheSize }},
}

// EnvPrefix starts the name of every environment variable of a setting.
const EnvPrefix = "RS_"

// EnvName returns the environment variable of the flag with that name: RS_
// followed by the name in upper case with dashes turned into underscores
// ("jwks-url" → "RS_JWKS_URL").
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
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
			def := strconv.Quote(*p)
			if s.shown != "" {
				def = s.shown
			}
			fs.StringVar(p, s.name, *p, s.usage+envAndDefault(s.name, def))
		case *time.Duration:
			fs.DurationVar(p, s.name, *p, s.usage+envAndDefault(s.name, FormatDuration(*p)))
		case *int:
			fs.IntVar(p, s.name, *p, s.usage+envAndDefault(s.name, strconv.Itoa(*p)))
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
// Every malformed variable is reported, not just the first.
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

// Load reads a Config: the defaults, overridden by the RS_* environment
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

// PrintFlags writes to w one entry per setting of fs (as defined by
// Register), in the order of Config: the flag with its value name, then what
// it does, its environment variable and its default.
func PrintFlags(w io.Writer, fs *flag.FlagSet) {
	for _, s := range settings {
		f := fs.Lookup(s.name)
		if f == nil {
			continue
		}
		value, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s %s\n    \t%s\n", f.Name, value, usage)
	}
}
