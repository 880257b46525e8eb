package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/fastsafe/fastsafe/pkg/ginbearer"
	"github.com/fastsafe/fastsafe/pkg/requestid"
	"github.com/gin-gonic/gin"
)

// quietPaths are probed by orchestrators and scraped by monitoring every
// few seconds: their requests are logged at debug level only.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, MetricsPath: true}

// requestLog writes one line per request: method, path (never the query
// string, which may carry secrets, nor any header), route, status, size,
// duration, client address, and the token's client_id and sub once it has
// been verified.
func (s *server) requestLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := s.now()
		c.Next()
		status := c.Writer.Status()
		// Room for the two attributes of an authenticated request.
		attrs := make([]slog.Attr, 0, 9)
		attrs = append(attrs,
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("route", c.FullPath()),
			slog.Int("status", status),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.Duration("duration", s.now().Sub(start)),
			slog.String("remote", c.ClientIP()),
		)
		if cl, ok := ginbearer.Claims(c); ok {
			attrs = append(attrs, slog.String("client_id", cl.ClientID), slog.String("sub", cl.Subject))
		}
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case quietPaths[c.Request.URL.Path]:
			level = slog.LevelDebug
		}
		s.logger.LogAttrs(c.Request.Context(), level, "request", attrs...)
	}
}

// requestID gives each request an id: a valid X-Request-ID it came with,
// or a new one. The id is echoed in the response and put in the request
// context, where the logger finds it for every line of the request.
func requestID(c *gin.Context) {
	id := requestid.FromRequest(c.Request)
	c.Header(requestid.Header, id)
	c.Request = c.Request.WithContext(requestid.NewContext(c.Request.Context(), id))
	c.Next()
}

// recovery turns a panic in a handler into a JSON 500 whose body says
// nothing about the failure; the panic and its stack go to the log.
func (s *server) recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.logger.ErrorContext(c.Request.Context(), "handler panic",
				"method", c.Request.Method, "path", c.Request.URL.Path,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			c.Header("Cache-Control", "no-store")
			c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{"server_error", "internal error"})
		}()
		c.Next()
	}
}

// securityHeaders sets headers that keep browsers from sniffing, framing or
// running the API's answers; the documentation page replaces the
// Content-Security-Policy with its own.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	c.Next()
}

// closeWhileDraining answers with "Connection: close" once a shutdown has
// begun, so that every kept-alive connection closes after its next answer
// and its client reconnects, through the load balancer, to another server.
func (s *server) closeWhileDraining(c *gin.Context) {
	if s.shuttingDown() {
		c.Header("Connection", "close")
	}
	c.Next()
}
