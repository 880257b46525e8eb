// Package config holds the resource server's settings and reads them from
// command-line flags and RS_* environment variables, flags winning, and
// validates them, reporting every problem at once.
package config
