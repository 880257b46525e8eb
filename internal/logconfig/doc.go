// Package logconfig builds a service's logger from its log level and log
// format settings: text or JSON records at debug, info, warn or error,
// each carrying the request id of its context, if any (package requestid).
package logconfig
