// Package clientip finds the address a request came from, for throttling
// and for logs.
//
// The address is the TCP peer's, unless the peer is one of the configured
// trusted proxies (--trusted-proxies). Only then is X-Forwarded-For read,
// from right to left, skipping the trusted proxies that appended to it:
// the first address that is not a trusted proxy is the client. Entries to
// its left were written by the client itself and are never believed, so a
// client cannot choose its own address by sending the header, whether it
// reaches the server directly or through the proxies.
package clientip
