// Package clientauth authenticates OAuth2 clients at the token,
// introspection and revocation endpoints: client_secret_basic (RFC 6749
// §2.3.1, with the form-decoding of both parts that clients rarely expect),
// client_secret_post, and "none" for public clients. Secrets are compared
// in constant time, against a dummy hash when the client does not exist.
// Failed authentications are counted by a Throttle, which locks out the
// sources and the client IDs that guess.
package clientauth
