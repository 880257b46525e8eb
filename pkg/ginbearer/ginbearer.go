package ginbearer

import (
	"log/slog"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/fastsafe/fastsafe/pkg/bearer"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// Authenticate returns Gin middleware that verifies the request's bearer
// token with v and puts its claims in the request context (read them with
// Claims), or aborts with the RFC 6750 answer of bearer.WriteError. With
// opts.NoCache, every token is verified afresh (see bearer.Live); with
// opts.DPoP, DPoP-bound tokens and their proofs are accepted too (RFC
// 9449), and opts.RequireDPoP accepts nothing else. The request continues
// the trace of its traceparent header, and in a recorded trace the token
// is verified in a span (bearer.Options.TraceCheck).
func Authenticate(v bearer.TokenVerifier, opts bearer.Options) gin.HandlerFunc {
	if v == nil {
		panic("ginbearer: Authenticate with a nil TokenVerifier")
	}
	v = opts.Verifier(v)
	log := logger(opts)
	return func(c *gin.Context) {
		r, at, err := opts.TraceCheck(c.Request, v)
		c.Request = r
		if err != nil {
			bearer.LogRefusal(c.Request.Context(), log, err)
			bearer.WriteError(c.Writer, opts, err)
			c.Abort()
			return
		}
		c.Request = c.Request.WithContext(opts.WithRequestClaims(c.Request, at))
		c.Next()
	}
}

// RequireScopes returns Gin middleware that admits only requests whose
// token, checked by Authenticate, was granted every one of scopes, and
// aborts the others with 403 insufficient_scope (401 if Authenticate did not
// run). It panics if scopes is empty or holds an invalid scope-token.
func RequireScopes(opts bearer.Options, scopes ...string) gin.HandlerFunc {
	bearer.MustValidScopes(scopes)
	scopes = slices.Clone(scopes)
	log := logger(opts)
	return func(c *gin.Context) {
		if err := bearer.CheckScopes(c.Request.Context(), scopes); err != nil {
			bearer.LogRefusal(c.Request.Context(), log, err)
			bearer.WriteError(c.Writer, opts, bearer.MarkScheme(c.Request, err), scopes...)
			c.Abort()
			return
		}
		c.Next()
	}
}

// RequireDPoP returns Gin middleware that admits only requests
// Authenticate admitted with a DPoP-bound token and its proof, and aborts
// the others with 401 and a DPoP challenge: one route can require DPoP
// where others accept bearer tokens (see bearer.RequireDPoP).
func RequireDPoP(opts bearer.Options) gin.HandlerFunc {
	log := logger(opts)
	return func(c *gin.Context) {
		if err := bearer.CheckDPoPProven(c.Request.Context()); err != nil {
			bearer.LogRefusal(c.Request.Context(), log, err)
			bearer.WriteError(c.Writer, opts, err)
			c.Abort()
			return
		}
		c.Next()
	}
}

// Claims returns the claims of the token Authenticate verified. They may
// come from the verifier's cache, shared with other requests: read them,
// never modify them.
func Claims(c *gin.Context) (*claims.AccessToken, bool) {
	return bearer.FromContext(c.Request.Context())
}

func logger(opts bearer.Options) *slog.Logger {
	if opts.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return opts.Logger
}
