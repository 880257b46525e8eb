package postgres

import (
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/postgres/pgtest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/storetest"
)

// TestReplicas runs the shared-database tests with two Stores on one
// schema, each with its own connection pool, as two replicas have.
func TestReplicas(t *testing.T) {
	pgtest.BaseDSN(t) // skips the whole suite without a database
	storetest.RunReplicas(t, func(t *testing.T) (store.Store, store.Store) {
		dsn := pgtest.DSN(t)
		return open(t, dsn), open(t, dsn)
	})
}

// TestReplicasSerializable runs them with serializable transactions.
func TestReplicasSerializable(t *testing.T) {
	pgtest.BaseDSN(t) // skips the whole suite without a database
	storetest.RunReplicas(t, func(t *testing.T) (store.Store, store.Store) {
		dsn := pgtest.WithParam(t, pgtest.DSN(t), "default_transaction_isolation", "serializable")
		return open(t, dsn), open(t, dsn)
	})
}
