package token

import (
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"sync"
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

// responseBufs holds the buffers responses are written from: a writer
// does not keep what it is given (io.Writer), so each serves again.
var responseBufs = sync.Pool{New: func() any { return new([]byte) }}

// write writes the response's JSON to w.
func (r *response) write(w io.Writer) {
	b := responseBufs.Get().(*[]byte)
	*b = r.appendJSON(slices.Grow((*b)[:0], r.size()))
	_, _ = w.Write(*b)
	responseBufs.Put(b)
}

// appendJSON appends the response as json.NewEncoder(w).Encode(r) writes
// it, byte for byte, newline included (TestResponseJSON), without the
// reflection: it is written for every token issued.
func (r *response) appendJSON(b []byte) []byte {
	b = appendField(b, `{"access_token":`, r.AccessToken)
	b = appendField(b, `,"token_type":`, r.TokenType)
	b = append(b, `,"expires_in":`...)
	b = strconv.AppendInt(b, r.ExpiresIn, 10)
	for _, f := range [...]struct{ key, v string }{
		{`,"refresh_token":`, r.RefreshToken},
		{`,"scope":`, r.Scope},
		{`,"id_token":`, r.IDToken},
		{`,"issued_token_type":`, r.IssuedTokenType},
	} {
		if f.v != "" { // omitempty
			b = appendField(b, f.key, f.v)
		}
	}
	return append(b, "}\n"...)
}

// size is the length of the response's JSON when no string in it needs
// an escape: room for appendJSON to write it at once.
func (r *response) size() int {
	const names = len(`{"access_token":"","token_type":"","expires_in":-9223372036854775808,` +
		`"refresh_token":"","scope":"","id_token":"","issued_token_type":""}` + "\n")
	return names + len(r.AccessToken) + len(r.TokenType) + len(r.RefreshToken) + len(r.Scope) + len(r.IDToken) + len(r.IssuedTokenType)
}

// appendField appends key and the JSON string of v. The values are tokens,
// scopes and URIs, printable ASCII that needs no escape; anything else is
// left to encoding/json, for its exact escapes (HTML characters
// included).
func appendField(b []byte, key, v string) []byte {
	b = append(b, key...)
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(v) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
}
