// Package backend opens the storage backend a --db value names: the
// PostgreSQL database of a postgres:// or postgresql:// URL, shared by
// several server replicas, or else the SQLite file at that path. Both
// migrate their schema on open.
package backend
