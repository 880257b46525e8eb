package bearer

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/tracing"
)

// Attributes of the span of TraceCheck.
const (
	attrClientID = attribute.Key("oauth.client_id")
	attrError    = attribute.Key("oauth.error")
)

// TraceCheck is Check in the trace of the request, for middleware:
// r continues the trace of its traceparent header (tracing.Continue)
// unless its context is in a trace already, so that the calls a handler
// makes with its context (through clientcred, or tracing.Transport) stay
// in the caller's trace; and when that trace is recorded here, the token
// is checked in a span "verify token", which names the client or the
// RFC 6750 error, never the token. It returns r, continued.
//
// Outside a recorded trace it costs a header look-up, and, when the
// request carries a traceparent, its extraction and a copy of the request
// (so that log lines name the caller's trace).
func (o Options) TraceCheck(r *http.Request, v TokenVerifier) (*http.Request, *claims.AccessToken, error) {
	r = tracing.Continue(r)
	ctx, span := tracing.Start(r.Context(), "verify token")
	if !span.IsRecording() {
		c, err := o.Check(r, v)
		return r, c, err
	}
	defer span.End()
	c, err := o.Check(r.WithContext(ctx), v)
	if err != nil {
		a := classify(err)
		code := a.code
		if code == "" {
			code = NoTokenError
		}
		span.SetAttributes(attrError.String(code))
		span.SetStatus(codes.Error, a.description)
		return r, nil, err
	}
	span.SetAttributes(attrClientID.String(c.ClientID))
	return r, c, nil
}
