package cli

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/store/backend"
	"github.com/fastsafe/fastsafe/authserver/internal/store/pgtest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

// TestPostgres runs administration commands on a PostgreSQL database: as
// on SQLite, commands and serve refuse a database without schema (only
// migrate creates one), and no output shows the password of the URL.
func TestPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" || strings.Contains(backend.Redact(dsn), pw) {
		t.Skip("the test database URL has no password that could be told apart in the output")
	}
	h := &harness{t: t, db: dsn, env: map[string]string{"AUTH_DB": dsn, "AUTH_BCRYPT_COST": "4"}}
	runs := []result{
		h.fails(ExitFailure, "database missing", "", "users", "list"), // on a database never migrated
		h.fails(ExitFailure, "--create-db", "", "serve", "--addr", "127.0.0.1:0"),
		h.ok("", "migrate"),
		h.ok("correct horse battery\n", "users", "add", "bob", "--email", "bob@example.com"),
		h.ok("", "users", "disable", "bob"),
		h.ok("", "users", "list"),
		h.fails(ExitFailure, "opening database", "", "users", "list", "--db", strings.Replace(dsn, ":"+pw+"@", ":wrong-"+pw+"@", 1)),
	}
	if !strings.Contains(runs[2].stdout, "schema version") {
		t.Errorf("migrate printed %q, want the schema version", runs[2].stdout)
	}
	if !strings.Contains(runs[2].stdout, "xxxxx") {
		t.Errorf("migrate printed %q, want the URL with its password masked", runs[2].stdout)
	}
	for i, r := range runs {
		if strings.Contains(r.stdout+r.stderr, pw) {
			t.Errorf("run %d shows the password:\nstdout: %s\nstderr: %s", i, r.stdout, r.stderr)
		}
	}

	st, err := sqlstore.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.GetUser(context.Background(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Disabled || got.Email != "bob@example.com" {
		t.Fatalf("user in the database: %+v", got)
	}
	checkPasswordIs(t, got.PasswordHash, "correct horse battery")
}
