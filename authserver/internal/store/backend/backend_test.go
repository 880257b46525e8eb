package backend_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/backend"
	"github.com/fastsafe/fastsafe/authserver/internal/store/pgtest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

var clock = time.Date(2031, time.January, 2, 3, 4, 5, 0, time.UTC)

func TestIsPostgres(t *testing.T) {
	tests := []struct {
		dsn  string
		want bool
	}{
		{"postgres://u:p@db:5432/auth?sslmode=require", true},
		{"postgresql://db/auth", true},
		{"POSTGRES://db/auth", true},
		{"data/authserver.db", false},
		{"/var/lib/fastsafe/auth.db", false},
		{"postgres.db", false},
		{"./postgres://odd-but-a-path", false},
		{"file:auth.db", false},
		{"host=db user=u dbname=auth", false},
	}
	for _, tc := range tests {
		t.Run(tc.dsn, func(t *testing.T) {
			if got := backend.IsPostgres(tc.dsn); got != tc.want {
				t.Fatalf("IsPostgres(%q) = %v, want %v", tc.dsn, got, tc.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"sqlite path", "data/auth.db", "data/auth.db"},
		{"password in user info", "postgres://auth:s3cret@db:5432/auth?sslmode=require", "postgres://auth:xxxxx@db:5432/auth?sslmode=require"},
		{"password parameter", "postgresql://db/auth?password=s3cret&user=auth", "postgresql://db/auth?password=xxxxx&user=auth"},
		{"no password", "postgres://auth@db/auth", "postgres://auth@db/auth"},
		{"unparsable", "postgres://auth:s3cret@db:port/auth%zz", "postgres://(unparsable URL)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := backend.Redact(tc.dsn)
			if got != tc.want {
				t.Fatalf("Redact(%q) = %q, want %q", tc.dsn, got, tc.want)
			}
			if strings.Contains(got, "s3cret") {
				t.Fatalf("Redact(%q) keeps the password", tc.dsn)
			}
		})
	}
}

func TestOpenSQLite(t *testing.T) {
	s, err := backend.Open(context.Background(), filepath.Join(t.TempDir(), "auth.db"), slog.New(slog.DiscardHandler), func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if st, ok := s.(*sqlstore.Store); !ok || st.Backend() != "sqlite" {
		t.Fatalf("Open of a path returned %T, want a SQLite *sqlstore.Store", s)
	}
	checkWorks(t, s)
}

func TestOpenPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	var logs bytes.Buffer
	s, err := backend.Open(context.Background(), dsn, slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if st, ok := s.(*sqlstore.Store); !ok || st.Backend() != "postgres" {
		t.Fatalf("Open of a postgres:// URL returned %T, want a PostgreSQL *sqlstore.Store", s)
	}
	if !strings.Contains(logs.String(), "applied database migration") {
		t.Fatalf("the logger given to Open was not used: %q", logs.String())
	}
	checkWorks(t, s)
}

// checkWorks checks that s is migrated, usable, and uses the clock given.
func checkWorks(t *testing.T, s backend.Store) {
	t.Helper()
	ctx := t.Context()
	if v, err := s.SchemaVersion(ctx); err != nil || v < 1 {
		t.Fatalf("SchemaVersion: %d, %v", v, err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := s.CreateUser(ctx, store.User{Username: "alice"}); err != nil {
		t.Fatal(err)
	}
	f := store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "alice", ExpiresAt: clock.Add(time.Hour)}
	if err := s.CreateRefreshToken(ctx, f, store.RefreshToken{ID: "t1", ExpiresAt: clock.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// DeleteUser revokes the user's families at the store's clock.
	if err := s.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRefreshFamily(ctx, "fam")
	if err != nil {
		t.Fatal(err)
	}
	if !got.RevokedAt.Equal(clock) {
		t.Fatalf("family revoked at %v, want the clock's %v", got.RevokedAt, clock)
	}
}
