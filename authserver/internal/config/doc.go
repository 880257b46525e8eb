// Package config holds the authorization server's settings and reads them
// from command-line flags and AUTH_* environment variables, flags winning.
package config
