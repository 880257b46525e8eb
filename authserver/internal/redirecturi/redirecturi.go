package redirecturi

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// MaxLen bounds a redirect URI; longer ones are refused before parsing.
const MaxLen = 2000

// Match reports whether requested is one of registered, and returns the
// registered form it matched.
func Match(registered []string, requested string) (string, bool) {
	if requested == "" || len(requested) > MaxLen || strings.Contains(requested, "#") {
		// RFC 6749 §3.1.2: a redirect URI never has a fragment, even one
		// registered by mistake.
		return "", false
	}
	for _, r := range registered {
		if r == requested {
			return r, true
		}
	}
	req, ok := loopback(requested)
	if !ok {
		return "", false
	}
	for _, r := range registered {
		reg, ok := loopback(r)
		if ok && reg.Hostname() == req.Hostname() && reg.EscapedPath() == req.EscapedPath() && reg.RawQuery == req.RawQuery {
			return r, true
		}
	}
	return "", false
}

// loopback parses s if it is an http URI on a loopback IP literal with
// nothing but a port, a path and a query: no user information, no
// fragment, no opaque part.
func loopback(s string) (*url.URL, bool) {
	if !strings.HasPrefix(s, "http://127.0.0.1") && !strings.HasPrefix(s, "http://[::1]") {
		return nil, false
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Fragment != "" || u.RawFragment != "" || u.Opaque != "" || strings.Contains(s, "#") {
		return nil, false
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "::1" {
		return nil, false
	}
	if p := u.Port(); p != "" {
		for _, c := range p {
			if c < '0' || c > '9' {
				return nil, false
			}
		}
	}
	// The parser accepts what it can; a URI that does not print back the
	// same is not compared loosely.
	if u.String() != s {
		return nil, false
	}
	return u, true
}

// Kind says who registers redirect URIs, and so which are allowed.
type Kind int

const (
	// Web: a web application; https, or http on a loopback host for
	// development.
	Web Kind = iota
	// Native: an app on the user's device (RFC 8252): also private-use
	// URI schemes in reverse domain name form.
	Native
)

// Validate reports why uri cannot be registered, or nil. Every redirect
// URI must be absolute, without user information and without a fragment
// (RFC 6749 §3.1.2); plain http is allowed only for loopback hosts.
func Validate(uri string, kind Kind) error {
	if uri == "" {
		return errors.New("redirect URI is empty")
	}
	if len(uri) > MaxLen {
		return fmt.Errorf("redirect URI is longer than %d characters", MaxLen)
	}
	if strings.ContainsAny(uri, "#\x00\r\n\t ") {
		return fmt.Errorf("redirect URI %q has a fragment, white space or a control character", uri)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return fmt.Errorf("redirect URI %q is not a URI", uri)
	}
	if !u.IsAbs() {
		return fmt.Errorf("redirect URI %q is not absolute", uri)
	}
	if u.User != nil {
		return fmt.Errorf("redirect URI %q has user information", uri)
	}
	switch u.Scheme {
	case "https":
		if u.Host == "" {
			return fmt.Errorf("redirect URI %q has no host", uri)
		}
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return fmt.Errorf("redirect URI %q uses http on a host that is not loopback; use https", uri)
		}
	default:
		if kind != Native || !strings.Contains(u.Scheme, ".") {
			return fmt.Errorf("redirect URI %q: scheme %q is not https (native apps may use a private-use scheme in reverse domain name form, such as com.example.app)", uri, u.Scheme)
		}
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		if u.Opaque != "" {
			return fmt.Errorf("redirect URI %q is not a hierarchical URI", uri)
		}
	}
	return nil
}

// isLoopbackHost reports whether host is localhost or a loopback IP.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
