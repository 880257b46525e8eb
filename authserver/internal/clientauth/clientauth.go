package clientauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// Authentication methods, named as in RFC 8414 metadata.
const (
	MethodBasic = "client_secret_basic"
	MethodPost  = "client_secret_post"
	MethodNone  = "none"
	// MethodPrivateKeyJWT: a JWT client assertion (RFC 7523 §2.2), signed
	// with the client's own key or a workload token of a trusted issuer.
	MethodPrivateKeyJWT = "private_key_jwt"
)

// maxIDLen bounds a client ID; longer ones cannot exist and are refused
// before any lookup.
const maxIDLen = 256

// Credentials are what a request presented to identify its client.
type Credentials struct {
	ID     string
	Secret string
	Method string
	// assertion is the client assertion of MethodPrivateKeyJWT.
	assertion *assertion
}

// Extract reads the client's credentials from the Authorization header and
// the parsed form. It does not check them. A request may use one method
// only; a form client_id may accompany Basic credentials if it names the
// same client.
func Extract(r *http.Request, form url.Values) (Credentials, error) {
	auths := r.Header.Values("Authorization")
	if form.Get("client_assertion") != "" || form.Get("client_assertion_type") != "" {
		if len(auths) > 0 || form.Get("client_secret") != "" {
			return Credentials{}, oautherr.InvalidRequest("a client assertion and other client credentials in one request")
		}
		return extractAssertion(form)
	}
	switch len(auths) {
	case 0:
		id := form.Get("client_id")
		if id == "" {
			return Credentials{}, oautherr.InvalidClient("client authentication is required")
		}
		if sec := form.Get("client_secret"); sec != "" {
			return Credentials{ID: id, Secret: sec, Method: MethodPost}, nil
		}
		return Credentials{ID: id, Method: MethodNone}, nil
	case 1:
	default:
		return Credentials{}, oautherr.InvalidRequest("more than one Authorization header")
	}
	scheme, payload, _ := strings.Cut(auths[0], " ")
	if !strings.EqualFold(scheme, "Basic") {
		return Credentials{}, oautherr.InvalidClient("unsupported client authentication scheme; use Basic or client_secret_post")
	}
	id, sec, err := decodeBasic(strings.TrimSpace(payload))
	if err != nil {
		return Credentials{}, err
	}
	if form.Get("client_secret") != "" {
		return Credentials{}, oautherr.InvalidRequest("client credentials sent both in the Authorization header and in the body")
	}
	if fid := form.Get("client_id"); fid != "" && fid != id {
		return Credentials{}, oautherr.InvalidRequest("client_id in the body does not match the Authorization header")
	}
	return Credentials{ID: id, Secret: sec, Method: MethodBasic}, nil
}

// extractAssertion reads a JWT client assertion (RFC 7521 §4.2): the
// client is its subject when it is its own issuer (private_key_jwt), and
// otherwise, for the workload token of a trusted issuer, the client_id
// parameter, which is then required.
func extractAssertion(form url.Values) (Credentials, error) {
	if form.Get("client_assertion_type") != AssertionType {
		return Credentials{}, oautherr.InvalidClient("unsupported client_assertion_type; use " + AssertionType)
	}
	raw := form.Get("client_assertion")
	if raw == "" {
		return Credentials{}, oautherr.InvalidClient("client_assertion is required with client_assertion_type")
	}
	a, err := parseAssertion(raw)
	if err != nil {
		return Credentials{}, err
	}
	id := form.Get("client_id")
	switch {
	case id == "" && a.issuer == a.subject:
		id = a.subject
	case id == "":
		return Credentials{}, oautherr.InvalidClient("client_id is required with a client assertion of another issuer")
	case a.issuer == a.subject && id != a.subject:
		return Credentials{}, oautherr.InvalidClient("client_id does not match the client assertion")
	}
	return Credentials{ID: id, Method: MethodPrivateKeyJWT, assertion: a}, nil
}

// decodeBasic decodes "Basic" credentials: base64 of
// form-urlencoded(id) ":" form-urlencoded(secret) (RFC 6749 §2.3.1).
func decodeBasic(payload string) (id, sec string, err error) {
	malformed := func() error { return oautherr.InvalidClient("malformed Basic credentials") }
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return "", "", malformed()
	}
	encID, encSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", malformed()
	}
	if id, err = url.QueryUnescape(encID); err != nil || id == "" {
		return "", "", malformed()
	}
	if sec, err = url.QueryUnescape(encSecret); err != nil {
		return "", "", malformed()
	}
	return id, sec, nil
}

// ClientGetter is the part of the store the authenticator reads.
type ClientGetter interface {
	GetClient(ctx context.Context, id string) (store.Client, error)
}

// Throttle refuses sources and clients that failed to authenticate too
// often, and counts the failures. *throttle.Guard implements it.
type Throttle interface {
	// AllowClient returns nil if r may try to authenticate as clientID,
	// or the error to answer with.
	AllowClient(r *http.Request, clientID string) error
	// ClientFailed records a failed authentication of clientID by r.
	ClientFailed(r *http.Request, clientID string)
}

// Authenticator checks presented credentials against stored clients.
type Authenticator struct {
	clients    ClientGetter
	throttle   Throttle
	assertions *Assertions
	dummy      []byte
}

// New returns an Authenticator reading clients from clients. throttle
// limits failed authentications; nil means no limit. assertions
// configures authentication by client assertion; nil refuses it.
func New(clients ClientGetter, throttle Throttle, assertions *Assertions) *Authenticator {
	return &Authenticator{clients: clients, throttle: throttle, assertions: assertions,
		dummy: secret.Hash("no client has this secret")}
}

// Authenticate extracts and checks the request's client credentials. A
// public client authenticates with its ID alone (and may present an empty
// Basic secret); it is refused when confidentialOnly is set. Every failure
// looks the same to the caller: invalid_client. While the request's source
// address or the client is locked out by the throttle, the credentials are
// not checked and the throttle's answer (429) is returned.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, form url.Values, confidentialOnly bool) (store.Client, error) {
	creds, err := Extract(r, form)
	if err != nil {
		return store.Client{}, err
	}
	if a.throttle == nil {
		return a.Check(ctx, creds, confidentialOnly)
	}
	if err := a.throttle.AllowClient(r, creds.ID); err != nil {
		return store.Client{}, err
	}
	c, err := a.Check(ctx, creds, confidentialOnly)
	var oe *oautherr.Error
	if errors.As(err, &oe) && oe.Code == oautherr.CodeInvalidClient {
		a.throttle.ClientFailed(r, creds.ID)
	}
	return c, err
}

// Check verifies creds against the stored client.
func (a *Authenticator) Check(ctx context.Context, creds Credentials, confidentialOnly bool) (store.Client, error) {
	if len(creds.ID) > maxIDLen {
		secret.Equal(a.dummy, creds.Secret)
		return store.Client{}, failed()
	}
	c, err := a.clients.GetClient(ctx, creds.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		secret.Equal(a.dummy, creds.Secret)
		return store.Client{}, failed()
	case err != nil:
		return store.Client{}, oautherr.Unavailable(err)
	}
	if creds.Method == MethodPrivateKeyJWT {
		if a.assertions == nil || creds.assertion == nil {
			return store.Client{}, failed()
		}
		if err := a.assertions.check(ctx, c, creds.assertion); err != nil {
			return store.Client{}, err
		}
		return c, nil
	}
	if c.Public() {
		if confidentialOnly || creds.Secret != "" {
			return store.Client{}, failed()
		}
		return c, nil
	}
	if c.UsesAssertion() || creds.Secret == "" || !secret.Equal(c.SecretHash, creds.Secret) {
		return store.Client{}, failed()
	}
	return c, nil
}

// failed is every failure of Check, which the caller cannot tell apart;
// made when one happens, not for every request.
func failed() error { return oautherr.InvalidClient("client authentication failed") }
