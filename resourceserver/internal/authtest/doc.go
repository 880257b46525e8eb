// Package authtest is a stand-in authorization server for tests: it holds a
// real RSA key, publishes it as a JSON Web Key Set with RFC 8414 metadata
// over HTTP, and signs RFC 9068 access tokens with it.
package authtest
