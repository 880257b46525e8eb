// Package postgres is the shared storage backend: a store.Store kept in a
// PostgreSQL database through github.com/jackc/pgx/v5, so that several
// authorization server replicas serve the same users, clients, refresh
// tokens, revocations and signing keys.
//
// Every write that must be all-or-nothing runs in one transaction, and every
// read-modify-write locks the rows it changes (SELECT … FOR UPDATE), so the
// guarantees of the store package hold across processes: of any number of
// replicas rotating one refresh token at once, at most one succeeds. A
// transaction the database aborts as a serialization failure or deadlock
// victim (SQLSTATE 40001, 40P01) is run again, as is one whose connection
// broke before its commit was sent (the server rolled it back); an update
// function given to UpdateUser or UpdateClient may therefore be called more
// than once. A commit whose answer is lost with its connection is not run
// again: it may have happened. When one connection breaks, the pool drops
// them all and connects anew, so a store recovers without a restart once
// the database is reachable again, and fails fast while it is not.
//
// Encoding is the SQLite backend's, so both behave the same: times are stored
// as BIGINT nanoseconds since the Unix epoch and come back in UTC with full
// nanosecond precision (the zero time is stored as NULL); times outside the
// years 1678 to 2262 are rejected. Lists are TEXT[] and empty lists come back
// as nil, as do empty byte slices. Strings cannot hold NUL characters or
// invalid UTF-8, which PostgreSQL refuses. Lists are sorted in Go, bytewise,
// whatever the database's collation.
//
// The schema is versioned by numbered migrations embedded in the binary and
// applied by Open, each in a transaction that holds a transaction-scoped
// advisory lock, so replicas starting at once apply each migration once. A
// database written by a newer binary is refused. The tables live in the
// connection's current schema: "?search_path=NAME" in the URL puts them in
// schema NAME.
//
// PostgreSQL-compatible databases: CockroachDB has no working advisory locks
// (older versions define the functions as no-ops); there migrations rely on
// the primary key of schema_migrations and are retried, and operators should
// run "authserver migrate" once before starting replicas. Where
// pg_advisory_xact_lock is missing (YugabyteDB without advisory locks), the
// same fallback applies. See docs/scaling.md for what was and was not checked.
package postgres
