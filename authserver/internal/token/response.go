package token

import (
	"encoding/json"
	"io"
)

// response is the successful token response of RFC 6749 §5.1.
type response struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	// IssuedTokenType is the type of the token a token exchange issued
	// (RFC 8693 §2.2.1).
	IssuedTokenType string `json:"issued_token_type,omitempty"`
}

// write writes the response's JSON to w (its wire format:
// testdata/response.golden.json).
func (r *response) write(w io.Writer) { _ = json.NewEncoder(w).Encode(r) }
