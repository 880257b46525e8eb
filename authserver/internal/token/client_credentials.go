package token

import (
	"net/url"
	"time"

	"github.com/go-oauth2/oauth2/v4"

	"github.com/fastsafe/fastsafe/authserver/internal/scope"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// clientCredentialsRequest is a client credentials request (RFC 6749
// §4.4.2).
type clientCredentialsRequest struct {
	scope     string
	resources []string // RFC 8707
}

func newClientCredentialsRequest(f url.Values) clientCredentialsRequest {
	return clientCredentialsRequest{scope: f.Get("scope"), resources: f["resource"]}
}

// decideClientCredentials decides a client credentials grant: a token for
// the client itself, as subject, with the scope and audience it asks for
// among its own, and no refresh token (RFC 6749 §4.4.3). The client is
// confidential: the handler authenticated it with a secret.
func decideClientCredentials(client store.Client, req clientCredentialsRequest, now time.Time) (decision, error) {
	scopes, err := scope.Grant(req.scope, client.Scopes, nil)
	if err != nil {
		return decision{}, err
	}
	aud, err := scope.Audience(req.resources, client.Audience)
	if err != nil {
		return decision{}, err
	}
	return decision{
		grant:    oauth2.ClientCredentials,
		client:   client,
		now:      now,
		subject:  client.ID,
		scopes:   scopes,
		audience: aud,
	}, nil
}
