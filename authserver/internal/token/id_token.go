package token

import (
	"time"

	"github.com/go-oauth2/oauth2/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/idtoken"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
)

// idTokenDecision is the ID token (OpenID Connect Core §2) to issue with
// the access token of an authorization code whose scope has openid.
type idTokenDecision struct {
	nonce     string
	authTime  time.Time
	sessionID string // the browser session: "sid"
	profile   idtoken.Profile
}

// IDTokenSigner signs ID tokens with the active key; build makes the
// claims for that key's algorithm. *signing.Keyring implements it.
type IDTokenSigner interface {
	SignIDToken(build func(alg string) jwt.Claims) (string, error)
}

// mintIDToken signs the ID token d decided for the tokens ti the engine
// issued: for the client, bound to the access token by at_hash, valid as
// long as the access token.
func (e *engine) mintIDToken(d *decision, ti oauth2.TokenInfo) (string, error) {
	id := d.idToken
	tok, err := e.signer.SignIDToken(func(alg string) jwt.Claims {
		return &idtoken.Claims{
			Issuer:          e.issuer,
			Subject:         d.subject,
			Audience:        jwt.ClaimStrings{d.client.ID},
			ExpiresAt:       jwt.NewNumericDate(d.now.Add(ti.GetAccessExpiresIn())),
			IssuedAt:        jwt.NewNumericDate(d.now),
			AuthTime:        jwt.NewNumericDate(id.authTime),
			Nonce:           id.nonce,
			AuthorizedParty: d.client.ID,
			AccessTokenHash: idtoken.AccessTokenHash(alg, ti.GetAccess()),
			SessionID:       id.sessionID,
			Profile:         id.profile,
		}
	})
	if err != nil {
		return "", oautherr.Internal(err)
	}
	return tok, nil
}
