// Package store defines what the authorization server keeps: users, clients,
// refresh-token families, revoked access tokens and signing keys, and the
// contract every storage backend fulfils.
//
// Backends live in sub-packages (sqlite, postgres); the conformance suite in
// storetest is run against each of them. What the SQL backends share,
// whatever their dialect, lives in sqlcodec (value encoding, input checks,
// error mapping) and schema (numbered migrations, with their suite in
// schema/schematest). Handlers never see a backend type, only the narrow
// interfaces they declare themselves.
package store
