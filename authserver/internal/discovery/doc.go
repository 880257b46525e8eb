// Package discovery builds the authorization server's metadata document
// (RFC 8414), served at /.well-known/oauth-authorization-server and, for
// clients that only know OpenID Connect discovery, at
// /.well-known/openid-configuration.
package discovery
