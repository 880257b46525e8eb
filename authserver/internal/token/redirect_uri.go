package token

import (
	"net/netip"
	"net/url"
	"strings"

	oerrors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
)

var _ manage.ValidateURIHandler = validateRedirectURI

// validateRedirectURI is the engine's redirect URI check. requested must be
// one of the registered redirect URIs (registered lists them separated by
// spaces, which no URI contains), compared as strings (RFC 9700 §4.1.3),
// except that a loopback IP redirect URI may differ in its port alone
// (RFC 8252 §7.3). It replaces go-oauth2's DefaultValidateURI, which
// accepts any URI whose host ends with the registered host.
func validateRedirectURI(registered, requested string) error {
	if requested == "" || strings.Contains(requested, "#") {
		return oerrors.ErrInvalidRedirectURI // RFC 6749 §3.1.2: no fragment
	}
	reqLoopback, reqIsLoopback := loopbackWithoutPort(requested)
	for reg := range strings.FieldsSeq(registered) {
		if requested == reg {
			return nil
		}
		if regLoopback, ok := loopbackWithoutPort(reg); ok && reqIsLoopback && regLoopback == reqLoopback {
			return nil
		}
	}
	return oerrors.ErrInvalidRedirectURI
}

// loopbackWithoutPort returns uri without the port of its authority, if
// uri is an http URI whose host is a loopback IP literal (127.0.0.1,
// [::1]; not "localhost", RFC 8252 §8.3), spelled as url.Parse reads it.
// The rest of uri is kept byte for byte.
func loopbackWithoutPort(uri string) (string, bool) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil || !ip.IsLoopback() || ip.Zone() != "" {
		return "", false
	}
	rest, ok := strings.CutPrefix(uri, "http://"+u.Host)
	if !ok {
		return "", false // spelled otherwise than parsed (e.g. HTTP://)
	}
	return "http://" + strings.TrimSuffix(u.Host, ":"+u.Port()) + rest, true
}
