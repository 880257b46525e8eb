package verify

import (
	"encoding/json"
	"math"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/pkg/claims"
)

// payload is claims.AccessToken as decoded from a token, with its
// NumericDate members as json.Number: jwt.NumericDate decodes each date
// with a nested json.Unmarshal, which made the dates the largest cost of
// decoding. The members and their JSON names are those of
// claims.AccessToken (a test holds them equal), and the dates accept the
// same values: a JSON number, or a string holding one, converted as
// jwt.NumericDate does.
type payload struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.ClaimStrings `json:"aud"`
	ExpiresAt json.Number      `json:"exp"`
	IssuedAt  json.Number      `json:"iat"`
	NotBefore json.Number      `json:"nbf"`
	ID        string           `json:"jti"`
	ClientID  string           `json:"client_id"`
	Scope     string           `json:"scope"`
	SessionID string           `json:"sid"`
	// Confirmation and Actor are pointers: absent in most tokens, they
	// cost nothing to decode then.
	Confirmation *claims.Confirmation `json:"cnf"`
	Actor        *claims.Actor        `json:"act"`
}

// decodeClaims decodes the JSON claims of a token.
func decodeClaims(b []byte) (*claims.AccessToken, error) {
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	c := &claims.AccessToken{
		Issuer:    p.Issuer,
		Subject:   p.Subject,
		Audience:  p.Audience,
		ID:        p.ID,
		ClientID:  p.ClientID,
		Scope:     p.Scope,
		SessionID: p.SessionID,

		Confirmation: p.Confirmation,
		Actor:        p.Actor,
	}
	var err error
	if c.ExpiresAt, err = numericDate(p.ExpiresAt); err != nil {
		return nil, err
	}
	if c.IssuedAt, err = numericDate(p.IssuedAt); err != nil {
		return nil, err
	}
	if c.NotBefore, err = numericDate(p.NotBefore); err != nil {
		return nil, err
	}
	return c, nil
}

// numericDate converts a date as jwt.NumericDate.UnmarshalJSON does; an
// absent (or null) date is nil.
func numericDate(n json.Number) (*jwt.NumericDate, error) {
	if n == "" {
		return nil, nil
	}
	f, err := n.Float64()
	if err != nil {
		return nil, err
	}
	round, frac := math.Modf(f)
	return jwt.NewNumericDate(time.Unix(int64(round), int64(frac*1e9))), nil
}
