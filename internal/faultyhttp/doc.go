// Package faultyhttp stands in, for tests, between a client and an HTTP
// resource (such as an authorization server's key set) that the test makes
// slow or dead at will.
package faultyhttp
