// Package server assembles the authorization server's HTTP surface (see
// routes.go) from its parts and runs it.
package server
