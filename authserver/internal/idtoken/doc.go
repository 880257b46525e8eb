// Package idtoken makes what OpenID Connect says about a person: the
// claims of ID tokens (OpenID Connect Core §2), with at_hash binding one
// to its access token (§3.1.3.6), and the profile claims that the scopes
// profile and email release, in ID tokens and at the UserInfo endpoint
// alike (§5.4).
package idtoken
