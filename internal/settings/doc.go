// Package settings turns a table of a service's settings into command-line
// flags and environment variables: each setting is a flag bound to a field
// of the service's configuration struct, and an environment variable named
// after the flag with the service's prefix (--access-token-ttl ↔
// AUTH_ACCESS_TOKEN_TTL). A flag wins over its environment variable, which
// wins over the default.
//
// It also holds what the services share to explain their settings: the
// help text of each flag (its environment variable and default), durations
// written as people write them, and the check of an http(s) URL setting.
package settings
