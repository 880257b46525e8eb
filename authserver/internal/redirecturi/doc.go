// Package redirecturi decides which redirect URIs a client may register
// and whether the one a request names is registered.
//
// Matching is exact, character for character (RFC 9700 §4.1.3): no prefix,
// suffix, domain or path matching, no normalisation. The one exception is
// RFC 8252 §7.3: for a loopback IP literal (127.0.0.1 or [::1]) over http,
// which a native app listens on with whatever port it gets, the port may
// differ from the registered one and nothing else may.
package redirecturi
