package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// decodeClaims checks the JSON claims of a token (checkMembers, with
// claimNames and dateNames) and decodes them, in one pass. Each member is
// decoded as json.Unmarshal decodes it into claims.AccessToken: the checks
// refuse what would make the two differ (a member twice, or named in
// another case). Its errors match ErrMalformed.
func decodeClaims(b []byte) (*claims.AccessToken, error) {
	var p payload
	if err := readMembers(b, claimNames, dateNames, p.set); err != nil {
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
		return nil, errClaims
	}
	if c.IssuedAt, err = numericDate(p.IssuedAt); err != nil {
		return nil, errClaims
	}
	if c.NotBefore, err = numericDate(p.NotBefore); err != nil {
		return nil, errClaims
	}
	return c, nil
}

var errClaims = fmt.Errorf("%w: payload is not a JSON object of claims", ErrMalformed)

// set decodes one member of the claims, its value valid JSON, into p;
// members that are no claim of p are ignored, as json.Unmarshal ignores
// them.
func (p *payload) set(name, value []byte) error {
	var err error
	if s := p.stringMember(string(name)); s != nil {
		err = decodeString(value, s)
	} else if n := p.dateMember(string(name)); n != nil {
		err = decodeNumber(value, n)
	} else {
		switch string(name) {
		case "aud":
			if s, ok := plainString(value); ok {
				p.Audience = jwt.ClaimStrings{s}
			} else {
				err = json.Unmarshal(value, &p.Audience)
			}
		case "cnf":
			err = json.Unmarshal(value, &p.Confirmation)
		case "act":
			err = json.Unmarshal(value, &p.Actor)
		}
	}
	if err != nil {
		return errClaims
	}
	return nil
}

// stringMember returns the string member of p named name, if any.
func (p *payload) stringMember(name string) *string {
	for _, m := range [...]struct {
		name string
		s    *string
	}{
		{"iss", &p.Issuer}, {"sub", &p.Subject}, {"jti", &p.ID},
		{"client_id", &p.ClientID}, {"scope", &p.Scope}, {"sid", &p.SessionID},
	} {
		if m.name == name {
			return m.s
		}
	}
	return nil
}

// dateMember returns the date member of p named name, if any.
func (p *payload) dateMember(name string) *json.Number {
	switch name {
	case "exp":
		return &p.ExpiresAt
	case "iat":
		return &p.IssuedAt
	case "nbf":
		return &p.NotBefore
	}
	return nil
}

// plainString returns the JSON string value holds, if it is one without
// escapes: its bytes are then the string's (the text is valid UTF-8, and
// valid JSON has no control character in a string).
func plainString(value []byte) (string, bool) {
	if len(value) < 2 || value[0] != '"' || bytes.IndexByte(value, '\\') >= 0 {
		return "", false
	}
	return string(value[1 : len(value)-1]), true
}

// decodeString decodes value into s as json.Unmarshal does.
func decodeString(value []byte, s *string) error {
	if v, ok := plainString(value); ok {
		*s = v
		return nil
	}
	return json.Unmarshal(value, s)
}

// decodeNumber decodes value into n as json.Unmarshal does.
func decodeNumber(value []byte, n *json.Number) error {
	if len(value) > 0 && (value[0] == '-' || '0' <= value[0] && value[0] <= '9') {
		*n = json.Number(value)
		return nil
	}
	return json.Unmarshal(value, n)
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
