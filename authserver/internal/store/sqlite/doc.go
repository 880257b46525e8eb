// Package sqlite is the embedded storage backend: a store.Store kept in one
// SQLite file, through the pure-Go driver modernc.org/sqlite, so the server
// binary needs no C toolchain and stays static.
//
// The file is opened in WAL mode so that readers never wait for writers, and
// several processes (the server and the administration CLI) may use it at
// once. Each Store holds two connection pools: a single write connection,
// whose transactions start with BEGIN IMMEDIATE so that writers queue for the
// database lock up front instead of failing when a read lock cannot be
// upgraded, and a few read-only connections. Writers in other processes are
// waited for up to the busy timeout.
//
// Encoding: times are stored as INTEGER nanoseconds since the Unix epoch and
// come back in UTC with full nanosecond precision (the zero time is stored as
// NULL and comes back as the zero time); times outside the years 1678 to 2262
// are rejected. Lists are stored as JSON arrays and empty lists come back as
// nil, as do empty byte slices.
//
// The schema is versioned by numbered migrations embedded in the binary and
// applied by Open; a file written by a newer binary is refused.
//
// [Store.Backup] writes a consistent copy of the file while it is in use,
// with VACUUM INTO on a connection of its own.
package sqlite
