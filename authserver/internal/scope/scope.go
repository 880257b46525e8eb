package scope

import (
	"slices"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// Grant decides the scopes of a grant. With no scope requested, the
// grant gets every scope in allowed (limited to userAllowed when that is
// not empty), as RFC 6749 §3.3 lets a server choose a default. A requested
// scope outside either list is invalid_scope.
func Grant(requested string, allowed, userAllowed []string) ([]string, error) {
	req := claims.ParseScope(requested)
	if len(req) == 0 {
		return Restrict(slices.Clone(allowed), userAllowed), nil
	}
	for _, s := range req {
		if !ValidToken(s) {
			return nil, oautherr.InvalidScope("scope contains characters RFC 6749 §3.3 does not allow")
		}
		if !slices.Contains(allowed, s) || (len(userAllowed) > 0 && !slices.Contains(userAllowed, s)) {
			return nil, oautherr.InvalidScope("a requested scope is not allowed for this client")
		}
	}
	return req, nil
}

// Restrict keeps the scopes that are in limit; an empty limit keeps all.
func Restrict(scopes, limit []string) []string {
	if len(limit) == 0 {
		return scopes
	}
	return Within(scopes, limit)
}

// Within keeps the scopes that are in allowed.
func Within(scopes, allowed []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if slices.Contains(allowed, s) {
			out = append(out, s)
		}
	}
	return out
}

// ValidToken: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func ValidToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

// Audience decides the audience of an access token: the requested
// resources (RFC 8707), each of which must be one of allowed, or all of
// allowed when none was requested.
func Audience(resources, allowed []string) ([]string, error) {
	if len(resources) == 0 {
		return slices.Clone(allowed), nil
	}
	out := make([]string, 0, len(resources))
	for _, r := range resources {
		if !slices.Contains(allowed, r) {
			return nil, oautherr.InvalidTarget("a requested resource is not an audience this client may have")
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}
