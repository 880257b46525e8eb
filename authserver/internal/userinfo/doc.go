// Package userinfo serves the OpenID Connect UserInfo endpoint (OpenID
// Connect Core §5.3): given an active access token of this server that
// was granted openid, it answers what the token's scopes release about
// its user. Refusals are RFC 6750's, with their WWW-Authenticate
// challenges.
package userinfo
