// Package sqlstore is the one implementation of store.Store for SQL
// databases: a SQLite file, through the pure-Go driver modernc.org/sqlite
// (OpenSQLite), so that the server binary needs no C toolchain and stays
// static, or a PostgreSQL database shared by several server replicas,
// through pgx and database/sql (OpenPostgres).
//
// Every query, every list of columns and every store.Store method is
// written once. What the two databases do differently lives in one place,
// the dialect type in dialect.go: placeholders, column types, row locks,
// list parameters, how list columns are encoded, how driver errors are
// classified (unique violation, busy, serialization failure, lost
// connection) and how often an operation is retried. A table's columns are
// listed once, in a table value beside the methods that use it, and inserts,
// updates and reads are made from that list.
//
// What is genuinely one database's own stays in its file: sqlite.go
// prepares the file (mode 0600, WAL) and opens one write connection whose
// transactions BEGIN IMMEDIATE and a pool of read-only connections, on which
// the reads of the request path are prepared; backup.go copies the file
// while it is in use. postgres.go sets up the pgx pool (connect timeout,
// application_name), recognises CockroachDB, and drops every pooled
// connection when one breaks.
//
// Encoding is the same on both: times are stored as 64-bit integer
// nanoseconds since the Unix epoch and come back in UTC with full
// nanosecond precision (the zero time is stored as NULL); times outside the
// years 1678 to 2262 are rejected. Lists are JSON arrays in TEXT on SQLite
// and TEXT[] on PostgreSQL; empty lists come back as nil, as do empty byte
// slices. Lists are ordered in Go, bytewise, whatever the database's
// collation.
//
// The schema is versioned by one list of numbered migrations embedded in
// the binary (migrations/) and applied on open; a database written by a
// newer binary is refused with ErrSchemaTooNew.
package sqlstore
