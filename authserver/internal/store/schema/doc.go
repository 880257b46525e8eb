// Package schema owns the numbering of schema migrations: the files
// NNNN_description.sql a store embeds (versions from 1, without gaps, so
// that a version means the same tables on every database), written once
// for every dialect, or, for migrations that predate that, once per
// dialect as NNNN_description.DIALECT.sql; the check that a database is not
// newer than the binary; and the order in which a store applies them,
// reports failures and logs what it applied.
//
// How a migration runs (its transaction, locking, and the record in
// schema_migrations) is the store's: it passes Apply one step per
// migration.
package schema
