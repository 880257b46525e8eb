package token

import (
	"slices"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// grantScopes decides the scopes of a grant. With no scope requested, the
// grant gets every scope in allowed (limited to userAllowed when that is
// not empty), as RFC 6749 §3.3 lets a server choose a default. A requested
// scope outside either list is invalid_scope.
func grantScopes(requested string, allowed, userAllowed []string) ([]string, error) {
	req := claims.ParseScope(requested)
	if len(req) == 0 {
		return restrict(slices.Clone(allowed), userAllowed), nil
	}
	for _, s := range req {
		if !validScopeToken(s) {
			return nil, oautherr.InvalidScope("scope contains characters RFC 6749 §3.3 does not allow")
		}
		if !slices.Contains(allowed, s) || (len(userAllowed) > 0 && !slices.Contains(userAllowed, s)) {
			return nil, oautherr.InvalidScope("a requested scope is not allowed for this client")
		}
	}
	return req, nil
}

// restrict keeps the scopes that are in limit; an empty limit keeps all.
func restrict(scopes, limit []string) []string {
	if len(limit) == 0 {
		return scopes
	}
	return within(scopes, limit)
}

// within keeps the scopes that are in allowed.
func within(scopes, allowed []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if slices.Contains(allowed, s) {
			out = append(out, s)
		}
	}
	return out
}

// validScopeToken: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func validScopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

// narrowAudience decides the audience of an access token: the requested
// resources (RFC 8707), each of which must be one of allowed, or all of
// allowed when none was requested.
func narrowAudience(resources, allowed []string) ([]string, error) {
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
