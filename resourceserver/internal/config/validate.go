package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/internal/logconfig"
	"github.com/fastsafe/fastsafe/internal/settings"
)

// Validate reports every problem of c at once, one error per problem joined
// with errors.Join, in plain words that name the flag.
//
// The issuer is compared exactly with the "iss" of every token and the
// public URL is the resource identifier clients compare exactly, so Validate
// rejects rather than rewrites such a URL with a trailing slash, a query, a
// fragment or user information.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}

	if c.Addr == "" {
		bad("--addr is empty; want host:port such as :8000")
	} else if _, port, err := net.SplitHostPort(c.Addr); err != nil || !validPort(port) {
		bad("--addr %q is not host:port, such as :8000 or 127.0.0.1:8000", c.Addr)
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || !validPort(port) {
			bad("--metrics-addr %q is not host:port, such as 127.0.0.1:8001", c.MetricsAddr)
		} else if c.MetricsAddr == c.Addr {
			bad("--metrics-addr %q is the same as --addr; leave it empty to serve /metrics on --addr", c.MetricsAddr)
		}
	}

	if msg := identifierProblem(c.Issuer); msg != "" {
		bad("--issuer %q %s", c.Issuer, msg)
	}
	if strings.TrimSpace(c.Audience) == "" {
		bad("--audience is empty; want this service's name in the tokens' \"aud\", such as search-api")
	} else if strings.TrimSpace(c.Audience) != c.Audience {
		bad("--audience %q must not begin or end with white space", c.Audience)
	}
	if c.JWKSURL != "" {
		if msg := endpointProblem(c.JWKSURL); msg != "" {
			bad("--jwks-url %q %s", c.JWKSURL, msg)
		}
	}

	for _, p := range c.Proxies() {
		if msg := proxyProblem(p); msg != "" {
			bad("--trusted-proxies entry %q %s", p, msg)
		}
	}

	if msg := identifierProblem(c.PublicURL); msg != "" {
		bad("--public-url %q %s", c.PublicURL, msg)
	}
	// The default endpoints derive from the issuer, whose problem is
	// reported already.
	for _, e := range []struct{ flag, set, url string }{
		{"--token-url", c.TokenURL, c.TokenEndpoint()},
		{"--authorization-url", c.AuthorizationURL, c.AuthorizationEndpoint()},
	} {
		if e.set != "" || identifierProblem(c.Issuer) == "" {
			if msg := endpointProblem(e.url); msg != "" {
				bad("%s %q %s", e.flag, e.url, msg)
			}
		}
	}
	if !validClientID(c.DocsClientID) {
		bad("--docs-client-id %q must be non-empty and only letters, digits, '.', '_', '~' or '-'", c.DocsClientID)
	}

	if msg := logconfig.LevelProblem(c.LogLevel); msg != "" {
		bad("--log-level %q %s", c.LogLevel, msg)
	}
	if msg := logconfig.FormatProblem(c.LogFormat); msg != "" {
		bad("--log-format %q %s", c.LogFormat, msg)
	}
	if c.ShutdownTimeout <= 0 {
		bad("--shutdown-timeout must be greater than zero, not %s", FormatDuration(c.ShutdownTimeout))
	}
	if c.ShutdownDrain < 0 {
		bad("--shutdown-drain must not be negative, not %s; 0 stops accepting connections at once", FormatDuration(c.ShutdownDrain))
	}
	if c.JWKSWait <= 0 || c.JWKSWait > MaxJWKSWait {
		bad("--jwks-wait must be greater than zero and at most %s, not %s", FormatDuration(MaxJWKSWait), FormatDuration(c.JWKSWait))
	}
	if c.TokenCacheSize < 0 || c.TokenCacheSize > MaxTokenCacheSize {
		bad("--token-cache-size must be from 0 (no cache) to %d, not %d", MaxTokenCacheSize, c.TokenCacheSize)
	}

	return errors.Join(errs...)
}

// MaxJWKSWait bounds JWKSWait: a request held longer has usually been
// given up by its client.
const MaxJWKSWait = 30 * time.Second

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 0 && n <= 65535
}

// endpointProblem says what is wrong with the URL of an endpoint that this
// server or a browser fetches, or "" if nothing.
func endpointProblem(raw string) string {
	if raw == "" {
		return "is empty; want an absolute http(s) URL"
	}
	if msg := settings.HTTPURLProblem(raw); msg != "" {
		return msg
	}
	u, _ := url.Parse(raw)
	switch {
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not have a fragment"
	}
	return ""
}

// identifierProblem says what is wrong with a URL that identifies a server
// and is compared exactly (an issuer, a resource), or "" if nothing.
func identifierProblem(raw string) string {
	if msg := endpointProblem(raw); msg != "" {
		return msg
	}
	u, _ := url.Parse(raw)
	switch {
	case u.RawQuery != "" || u.ForceQuery:
		return "must not have a query"
	case strings.HasSuffix(u.Path, "/"):
		return "must not end with a slash"
	}
	return ""
}

// proxyProblem says what is wrong with a trusted proxy entry, or "" if
// nothing.
func proxyProblem(p string) string {
	if _, err := netip.ParseAddr(p); err == nil {
		return ""
	}
	prefix, err := netip.ParsePrefix(p)
	if err != nil {
		return "is neither an IP address nor a CIDR range such as 10.0.0.0/8"
	}
	if prefix.Bits() == 0 {
		return "trusts every address, so any client could forge X-Forwarded-For"
	}
	return ""
}

// validClientID accepts the characters that survive Basic authentication
// without form encoding, as the /docs page sends them.
func validClientID(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._~-", r):
		default:
			return false
		}
	}
	return true
}
