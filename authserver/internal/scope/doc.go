// Package scope decides what a grant gets: its scopes among those the
// client and the user may have (RFC 6749 §3.3), and its audience among the
// client's (RFC 8707). The token endpoint's grants and the authorization
// endpoint decide with the same rules.
package scope
