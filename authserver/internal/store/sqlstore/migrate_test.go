package sqlstore

import "testing"

// TestMigrationListsAgree checks that both dialects have every migration,
// under the same name, so that a schema version means the same tables on
// both, and that only the first two are written for each dialect: later
// ones are written once.
func TestMigrationListsAgree(t *testing.T) {
	lite, pg := migrations[sqliteDialect], migrations[postgresDialect]
	if len(lite) != len(pg) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL migrations", len(lite), len(pg))
	}
	for i, m := range lite {
		if m.Name != pg[i].Name || m.Version != pg[i].Version {
			t.Errorf("migration %d: %s for SQLite, %s for PostgreSQL", m.Version, m.Name, pg[i].Name)
		}
		if shared := m.Version > 2; m.Shared != shared || pg[i].Shared != shared {
			t.Errorf("migration %s: shared %v (SQLite), %v (PostgreSQL); want %v", m.Name, m.Shared, pg[i].Shared, shared)
		}
	}
}
