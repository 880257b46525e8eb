package server

import (
	"github.com/gin-gonic/gin"

	"github.com/fastsafe/fastsafe/pkg/tracing"
)

// TracerScope is the instrumentation scope of the resource server's spans.
const TracerScope = "github.com/fastsafe/fastsafe/resourceserver"

// traceRequests runs each request in a server span named for its method
// and route pattern, continuing the trace of its traceparent header; the
// span ends with the status written (the recovery behind it writes 500
// for a panic).
func (s *server) traceRequests(c *gin.Context) {
	r, span := tracing.StartServer(s.tracer, c.Request, c.FullPath())
	c.Request = r
	defer func() { tracing.EndServer(span, c.Writer.Status()) }()
	c.Next()
}
