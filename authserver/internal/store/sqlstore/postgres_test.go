package sqlstore

import (
	"sync"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/pgtest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/schema"
	"github.com/fastsafe/fastsafe/authserver/internal/store/storetest"
)

// TestConformanceSerializable runs the suite with every transaction
// serializable, as CockroachDB runs them: contended transactions then fail
// with serialization errors, which the store must retry.
func TestConformanceSerializable(t *testing.T) {
	pgtest.BaseDSN(t) // skips the whole suite without a database
	storetest.Run(t, func(t *testing.T) store.Store {
		return openPostgres(t, pgtest.WithParam(t, pgtest.DSN(t), "default_transaction_isolation", "serializable"))
	})
}

// TestReplicasSerializable runs the shared-database tests with
// serializable transactions.
func TestReplicasSerializable(t *testing.T) {
	pgtest.BaseDSN(t) // skips the whole suite without a database
	storetest.RunReplicas(t, func(t *testing.T) (store.Store, store.Store) {
		dsn := pgtest.WithParam(t, pgtest.DSN(t), "default_transaction_isolation", "serializable")
		return openPostgres(t, dsn), openPostgres(t, dsn)
	})
}

// TestMigrationsWithoutAdvisoryLocks runs concurrent migrations the way
// they run on CockroachDB, with the primary key of schema_migrations as the
// only guard.
func TestMigrationsWithoutAdvisoryLocks(t *testing.T) {
	dsn := pgtest.DSN(t)
	const n = 4
	// Stores on the empty schema without running Open's migration.
	stores := make([]*Store, n)
	for i := range n {
		st, err := connectPostgres(t.Context(), dsn, WithClock(fixedClock), WithMaxConns(2))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		st.advisoryLocks.Store(false)
		stores[i] = st
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = stores[i].Migrate(t.Context())
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
	v, err := stores[0].SchemaVersion(t.Context())
	if err != nil || v != schema.Latest(migrations[postgresDialect]) {
		t.Fatalf("SchemaVersion: %d, %v; want %d", v, err, schema.Latest(migrations[postgresDialect]))
	}
	if err := stores[0].CreateUser(t.Context(), store.User{Username: "alice"}); err != nil {
		t.Fatalf("CreateUser on the migrated schema: %v", err)
	}
}

// TestMigratedDatabaseNeedsNoDDL opens a migrated schema as a role that may
// only read and write rows, as a replica may run with less privilege than
// the operator who ran "authserver migrate".
func TestMigratedDatabaseNeedsNoDDL(t *testing.T) {
	dsn := pgtest.DSN(t)
	owner := openPostgres(t, dsn)
	var schema string
	if err := owner.read.queryRow(t.Context(), `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	// Revoke CREATE on the schema from the owner role itself for the
	// length of the test: Open must not need it.
	if _, err := owner.read.exec(t.Context(), `REVOKE CREATE ON SCHEMA `+schema+` FROM CURRENT_USER`); err != nil {
		t.Fatal(err)
	}
	var canCreate bool
	if err := owner.read.queryRow(t.Context(), `SELECT has_schema_privilege(current_schema(), 'CREATE')`).Scan(&canCreate); err != nil {
		t.Fatal(err)
	}
	if canCreate {
		t.Skip("the role keeps CREATE on its own schema (superuser); cannot check")
	}
	s := openPostgres(t, dsn)
	if err := s.CreateUser(t.Context(), store.User{Username: "alice"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
}
