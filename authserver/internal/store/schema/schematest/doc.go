// Package schematest is the suite every SQL backend runs on its schema
// migrations: a migrated database is migrated again without change, many
// stores opening one empty database at once apply each migration once, a
// database newer than the binary is refused, and a failing migration
// leaves nothing behind.
//
// A backend describes itself with a Backend, giving access to what the
// suite cannot reach through the store's methods; the suite depends on no
// backend.
package schematest
