package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/clientip"
	"github.com/fastsafe/fastsafe/internal/logconfig"
	"github.com/fastsafe/fastsafe/internal/settings"
)

// Bounds of BcryptCost, those of golang.org/x/crypto/bcrypt.
const (
	MinBcryptCost = 4
	MaxBcryptCost = 31
)

// MaxAccessTokenTTL bounds AccessTokenTTL: it is verify.MaxLifetime, the
// longest lifetime resource servers accept.
const MaxAccessTokenTTL = 24 * time.Hour

// MaxRefreshTokenGrace bounds RefreshTokenGrace: a retry comes within
// seconds of the lost answer, and the longer the window, the longer a
// copy of a rotated token goes unnoticed.
const MaxRefreshTokenGrace = 5 * time.Minute

// MaxLoginLockout bounds LoginLockout; lockouts grow to 64 times it.
const MaxLoginLockout = 24 * time.Hour

// MaxBcryptConcurrency bounds BcryptConcurrency: bcrypt is CPU-bound,
// so more computations at once than cores only adds latency.
const MaxBcryptConcurrency = 1024

// SigningAlgs are the accepted values of SigningAlg.
var SigningAlgs = []string{"RS256", "ES256", "EdDSA"}

// Validate reports every problem of c at once, one error per problem joined
// with errors.Join, in plain words that name the flag.
//
// The issuer must be exactly what tokens carry as "iss" and what resource
// servers compare it with, so Validate rejects rather than rewrites an
// issuer with a trailing slash, a query, a fragment or user information.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	if c.Addr == "" {
		bad("--addr is empty; want host:port such as :9096")
	} else if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		bad("--addr %q is not host:port, such as :9096 or 127.0.0.1:9096", c.Addr)
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			bad("--metrics-addr %q is not host:port, such as 127.0.0.1:9097", c.MetricsAddr)
		} else if c.MetricsAddr == c.Addr {
			bad("--metrics-addr %q is the same as --addr; leave it empty to serve /metrics on --addr", c.MetricsAddr)
		}
	}

	if msg := issuerProblem(c.Issuer); msg != "" {
		bad("--issuer %q %s", c.Issuer, msg)
	}

	if strings.TrimSpace(c.DB) == "" {
		bad("--db is empty; want the path of the SQLite database file, or a postgres:// URL")
	}

	positive := func(name string, d time.Duration) {
		if d <= 0 {
			bad("--%s must be greater than zero, not %s", name, FormatDuration(d))
		}
	}
	positive("access-token-ttl", c.AccessTokenTTL)
	if c.AccessTokenTTL > MaxAccessTokenTTL {
		bad("--access-token-ttl must be at most %s, not %s: resource servers refuse longer-lived tokens",
			FormatDuration(MaxAccessTokenTTL), FormatDuration(c.AccessTokenTTL))
	}
	positive("refresh-token-ttl", c.RefreshTokenTTL)
	positive("refresh-token-absolute-ttl", c.RefreshTokenAbsoluteTTL)
	positive("session-ttl", c.SessionTTL)
	switch c.Registration {
	case "off", "open", "token":
	default:
		bad("--registration %q is not one of off, open, token", c.Registration)
	}
	for _, g := range c.RegistrationGrants {
		switch g {
		case "authorization_code", "refresh_token", "client_credentials":
		default:
			bad("--registration-grants: %q is not one of authorization_code, refresh_token, client_credentials", g)
		}
	}
	if c.RegistrationMaxPerAddress < 0 {
		bad("--registration-max-per-address must not be negative, not %d; 0 turns the limit off", c.RegistrationMaxPerAddress)
	}
	if c.CleanupInterval <= 0 {
		bad("--cleanup-interval must be positive, not %s", FormatDuration(c.CleanupInterval))
	}
	if c.RegistrationUnusedTTL < 0 {
		bad("--registration-unused-ttl must not be negative, not %s; 0 keeps unused clients", FormatDuration(c.RegistrationUnusedTTL))
	}
	if c.RefreshTokenTTL > 0 && c.RefreshTokenAbsoluteTTL > 0 && c.RefreshTokenTTL > c.RefreshTokenAbsoluteTTL {
		bad("--refresh-token-ttl (%s) must not be longer than --refresh-token-absolute-ttl (%s)",
			FormatDuration(c.RefreshTokenTTL), FormatDuration(c.RefreshTokenAbsoluteTTL))
	}

	if c.RefreshTokenGrace < 0 || c.RefreshTokenGrace > MaxRefreshTokenGrace {
		bad("--refresh-token-grace must be from 0 (off) to %s, not %s", FormatDuration(MaxRefreshTokenGrace), FormatDuration(c.RefreshTokenGrace))
	} else if c.RefreshTokenTTL > 0 && c.RefreshTokenGrace >= c.RefreshTokenTTL {
		bad("--refresh-token-grace (%s) must be shorter than --refresh-token-ttl (%s)",
			FormatDuration(c.RefreshTokenGrace), FormatDuration(c.RefreshTokenTTL))
	}

	if !slices.Contains(SigningAlgs, c.SigningAlg) {
		bad("--signing-alg %q is not one of %s", c.SigningAlg, strings.Join(SigningAlgs, ", "))
	}
	if c.KeyActivateAfter < 0 {
		bad("--key-activate-after must not be negative, not %s", FormatDuration(c.KeyActivateAfter))
	}
	if c.KeyRotation < 0 {
		bad("--key-rotation must not be negative, not %s; 0 turns scheduled rotation off", FormatDuration(c.KeyRotation))
	} else if minimum := c.AccessTokenTTL + max(c.KeyActivateAfter, 0); c.KeyRotation > 0 && c.KeyRotation <= minimum {
		bad("--key-rotation %s must be longer than --access-token-ttl plus --key-activate-after (%s), or 0 to turn it off: "+
			"otherwise keys are replaced before the tokens they signed have expired",
			FormatDuration(c.KeyRotation), FormatDuration(minimum))
	}
	if c.JWKSMaxAge < 0 {
		bad("--jwks-max-age must not be negative, not %s", FormatDuration(c.JWKSMaxAge))
	}

	if c.BcryptCost < MinBcryptCost || c.BcryptCost > MaxBcryptCost {
		bad("--bcrypt-cost must be from %d to %d, not %d", MinBcryptCost, MaxBcryptCost, c.BcryptCost)
	}
	if c.BcryptConcurrency < 0 || c.BcryptConcurrency > MaxBcryptConcurrency {
		bad("--bcrypt-concurrency must be from 0 (one per CPU core) to %d, not %d", MaxBcryptConcurrency, c.BcryptConcurrency)
	}

	if msg := logconfig.LevelProblem(c.LogLevel); msg != "" {
		bad("--log-level %q %s", c.LogLevel, msg)
	}
	if msg := logconfig.FormatProblem(c.LogFormat); msg != "" {
		bad("--log-format %q %s", c.LogFormat, msg)
	}

	positive("shutdown-timeout", c.ShutdownTimeout)
	if c.ShutdownDrain < 0 {
		bad("--shutdown-drain must not be negative, not %s; 0 stops accepting connections at once", FormatDuration(c.ShutdownDrain))
	}

	for _, o := range c.CORSOrigins {
		if msg := originProblem(o); msg != "" {
			bad("--cors-origins: %q %s", o, msg)
		}
	}

	notNegative := func(name string, n int) {
		if n < 0 {
			bad("--%s must not be negative, not %d; 0 turns the limit off", name, n)
		}
	}
	notNegative("login-max-failures", c.LoginMaxFailures)
	notNegative("client-max-failures", c.ClientMaxFailures)
	notNegative("address-max-failures", c.AddressMaxFailures)
	if c.LoginLockout <= 0 || c.LoginLockout > MaxLoginLockout {
		bad("--login-lockout must be greater than zero and at most %s, not %s",
			FormatDuration(MaxLoginLockout), FormatDuration(c.LoginLockout))
	}
	if _, err := clientip.ParseTrusted(c.TrustedProxies); err != nil {
		bad("--trusted-proxies: %v", err)
	}

	if err := c.BootstrapSpec().Validate(); err != nil {
		errs = append(errs, err)
	}

	return errors.Join(errs...)
}

// issuerProblem says what is wrong with an issuer URL, or "" if nothing.
func issuerProblem(issuer string) string {
	if issuer == "" {
		return "is empty; want an absolute http(s) URL such as https://auth.example.com"
	}
	if msg := settings.HTTPURLProblem(issuer); msg != "" {
		return msg
	}
	u, _ := url.Parse(issuer)
	switch {
	case u.RawQuery != "" || u.ForceQuery:
		return "must not have a query"
	case u.Fragment != "" || strings.Contains(issuer, "#"):
		return "must not have a fragment"
	case strings.HasSuffix(u.Path, "/"):
		return "must not end with a slash"
	}
	return ""
}

// originProblem says what is wrong with a CORS origin, or "" if nothing.
// An origin is scheme://host[:port] and nothing else; "*" is refused, as
// the token endpoint must never answer every web page.
func originProblem(origin string) string {
	if origin == "*" {
		return "is a wildcard; list the origins of the pages that need the token endpoint"
	}
	u, err := url.Parse(origin)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must start with https:// or http://"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(origin, "#?"):
		return "must be only scheme://host[:port], with no path, query or fragment"
	}
	return ""
}
