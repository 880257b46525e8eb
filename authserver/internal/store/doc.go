// Package store defines what the authorization server keeps: users, clients,
// refresh-token families, revoked access tokens and signing keys, and the
// contract every storage backend fulfils.
//
// The one implementation, for SQLite and PostgreSQL, is sqlstore, with the
// differences between the two in its dialect; backend opens the one a --db
// value names. The conformance suite in storetest is run against both. What
// sqlstore builds on lives in sqlcodec (time encoding, input checks, error
// mapping) and schema (numbered migrations, with their suite in
// schema/schematest); pgtest gives tests a PostgreSQL schema of their own.
// Handlers never see a backend type, only the narrow interfaces they declare
// themselves.
package store
