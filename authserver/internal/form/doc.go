// Package form reads the bodies of the authorization server's POST
// endpoints (/token, /introspect, /revoke) strictly, as RFC 6749 §3.2 and
// Appendix B want them: application/x-www-form-urlencoded UTF-8, in the body
// and never in the URL, each parameter at most once, parameters without a
// value treated as omitted, and a bounded size.
package form
