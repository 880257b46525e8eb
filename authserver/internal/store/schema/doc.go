// Package schema owns what the SQL backends of store.Store share about
// their schema migrations: the numbered files NNNN_description.sql each
// backend embeds (versions from 1, without gaps, so that a version means
// the same tables on every backend), the check that a database is not newer
// than the binary, and the order in which a backend applies them, reports
// failures and logs what it applied.
//
// How a migration runs (its transaction, locking, and the record in
// schema_migrations) is the backend's: it passes Apply one step per
// migration.
package schema
