// Package store defines what the authorization server keeps: users, clients,
// refresh-token families, revoked access tokens and signing keys, and the
// contract every storage backend fulfils.
//
// Backends live in sub-packages (sqlite, and later others); the conformance
// suite in storetest is run against each of them. Handlers never see a
// backend type, only the narrow interfaces they declare themselves.
package store
