package oautherr

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Codes of RFC 6749 §5.2 and the extensions this server answers with.
const (
	CodeInvalidRequest         = "invalid_request"
	CodeInvalidClient          = "invalid_client"
	CodeInvalidGrant           = "invalid_grant"
	CodeUnauthorizedClient     = "unauthorized_client"
	CodeUnsupportedGrantType   = "unsupported_grant_type"
	CodeInvalidScope           = "invalid_scope"
	CodeInvalidTarget          = "invalid_target"          // RFC 8707 §2
	CodeUnsupportedTokenType   = "unsupported_token_type"  // RFC 7009 §2.2.1
	CodeServerError            = "server_error"            // RFC 6749 §4.1.2.1
	CodeTemporarilyUnavailable = "temporarily_unavailable" // RFC 6749 §4.1.2.1
	CodeNotFound               = "not_found"               // unknown path
	CodeMethodNotAllowed       = "method_not_allowed"      // wrong HTTP method
	CodeInvalidDPoPProof       = "invalid_dpop_proof"      // RFC 9449 §5
	CodeUseDPoPNonce           = "use_dpop_nonce"          // RFC 9449 §8
)

// Error is an OAuth error answer.
type Error struct {
	Code        string
	Description string
	// Status is the HTTP status; zero means the code's default.
	Status int
	// RetryAfter, when positive, is sent as a Retry-After header.
	RetryAfter time.Duration
	// Allow lists the methods for a 405 answer.
	Allow string
	// DPoPNonce is sent in the DPoP-Nonce header (use_dpop_nonce).
	DPoPNonce string
	// cause is the internal error behind a server_error or
	// temporarily_unavailable; it is logged, never sent.
	cause error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.Description + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Description
}

// Unwrap returns the internal cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// HTTPStatus is the status the error is answered with.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	switch e.Code {
	case CodeInvalidClient:
		return http.StatusUnauthorized
	case CodeServerError:
		return http.StatusInternalServerError
	case CodeTemporarilyUnavailable:
		return http.StatusServiceUnavailable
	case CodeNotFound:
		return http.StatusNotFound
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	default:
		return http.StatusBadRequest
	}
}

func newError(code, desc string) *Error { return &Error{Code: code, Description: desc} }

// InvalidDPoPProof is invalid_dpop_proof (RFC 9449 §5): the DPoP proof of
// a token request is missing where required, malformed or not for it.
func InvalidDPoPProof(desc string) *Error { return newError(CodeInvalidDPoPProof, desc) }

// UseDPoPNonce is use_dpop_nonce (RFC 9449 §8): the proof lacks the
// server's current nonce, which the answer carries in DPoP-Nonce.
func UseDPoPNonce(nonce string) *Error {
	e := newError(CodeUseDPoPNonce, "the DPoP proof must carry the nonce of the DPoP-Nonce header")
	e.DPoPNonce = nonce
	return e
}

// InvalidRequest: the request is missing a parameter, repeats one, or is
// otherwise malformed.
func InvalidRequest(desc string) *Error { return newError(CodeInvalidRequest, desc) }

// InvalidClient: client authentication failed. Answered with 401 and a
// WWW-Authenticate challenge.
func InvalidClient(desc string) *Error { return newError(CodeInvalidClient, desc) }

// InvalidGrant: the credentials or refresh token are invalid, expired or
// revoked, or were issued to another client.
func InvalidGrant(desc string) *Error { return newError(CodeInvalidGrant, desc) }

// UnauthorizedClient: the client may not use this grant type.
func UnauthorizedClient(desc string) *Error { return newError(CodeUnauthorizedClient, desc) }

// UnsupportedGrantType: the server does not know the grant type.
func UnsupportedGrantType(desc string) *Error { return newError(CodeUnsupportedGrantType, desc) }

// InvalidScope: the requested scope is invalid, unknown or exceeds what
// the client (or user, or original grant) may have.
func InvalidScope(desc string) *Error { return newError(CodeInvalidScope, desc) }

// InvalidTarget: a requested resource (RFC 8707) is not allowed.
func InvalidTarget(desc string) *Error { return newError(CodeInvalidTarget, desc) }

// MethodNotAllowed answers a request with the wrong method.
func MethodNotAllowed(allow string) *Error {
	return &Error{Code: CodeMethodNotAllowed, Description: "use " + allow, Allow: allow}
}

// NotFound answers a request for an unknown path.
func NotFound() *Error { return newError(CodeNotFound, "no such endpoint") }

// Unavailable wraps an internal failure of a dependency (the store) that
// is expected to pass: 503 temporarily_unavailable.
func Unavailable(cause error) *Error {
	return &Error{Code: CodeTemporarilyUnavailable, Description: "the service is temporarily unavailable, try again later", RetryAfter: 5 * time.Second, cause: cause}
}

// TooManyRequests answers a request whose source address or client failed
// to authenticate too often and is locked out for a while: 429 (RFC 6585
// §4) with Retry-After. RFC 6749 has no code for it; the answer uses
// temporarily_unavailable, which says what the client should do: wait.
func TooManyRequests(retryAfter time.Duration) *Error {
	return &Error{
		Code:        CodeTemporarilyUnavailable,
		Description: "too many failed attempts, try again later",
		Status:      http.StatusTooManyRequests,
		RetryAfter:  max(retryAfter, time.Second),
	}
}

// Internal wraps an unexpected internal failure: 500 server_error.
func Internal(cause error) *Error {
	return &Error{Code: CodeServerError, Description: "internal error", cause: cause}
}

// From converts any error into an *Error: an *Error in the chain is used as
// it is, a cancelled or timed-out request becomes temporarily_unavailable,
// anything else server_error.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Unavailable(err)
	}
	return Internal(err)
}

type body struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// Write answers err as JSON with the status its code calls for. Responses
// are never cached. Internal causes are logged on logger, not sent.
func Write(w http.ResponseWriter, logger *slog.Logger, err error) {
	WriteContext(context.Background(), w, logger, err)
}

// WriteContext is Write, logging with ctx (the request's context, so that
// the log line carries the request id).
func WriteContext(ctx context.Context, w http.ResponseWriter, logger *slog.Logger, err error) {
	e := From(err)
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if e.Code == CodeInvalidClient {
		h.Set("WWW-Authenticate", `Basic realm="fastsafe", charset="UTF-8"`)
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if e.Allow != "" {
		h.Set("Allow", e.Allow)
	}
	if e.DPoPNonce != "" {
		h.Set("DPoP-Nonce", e.DPoPNonce)
	}
	if e.cause != nil && logger != nil {
		logger.ErrorContext(ctx, "request failed", "error_code", e.Code, "err", e.cause)
	}
	w.WriteHeader(e.HTTPStatus())
	_ = json.NewEncoder(w).Encode(body{Error: e.Code, ErrorDescription: e.Description})
}
