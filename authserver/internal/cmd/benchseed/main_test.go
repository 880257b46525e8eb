package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/backend"
)

func TestSeedSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "seed.db")
	env := func(k string) string {
		return map[string]string{"BENCHSEED_PASSWORD": "correct horse", "BENCHSEED_CLIENT_SECRET": strings.Repeat("s", 43)}[k]
	}
	var out, stderr strings.Builder
	args := []string{"-db", db, "-users", "30", "-clients", "7", "-tokens", "50", "-bcrypt-cost", "4"}
	if code := run(t.Context(), args, env, &out, &stderr, time.Now); code != 0 {
		t.Fatalf("benchseed = %d: %s", code, stderr.String())
	}
	if !strings.Contains(out.String(), "seeded 50 refresh tokens") {
		t.Fatalf("output %q", out.String())
	}
	s, err := backend.Open(t.Context(), db, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Token 44 belongs to client 44 mod 7 and user 44 mod 30.
	tok, fam, err := s.GetRefreshToken(t.Context(), store.RefreshTokenID("seed-refresh-0000044"))
	if err != nil || tok.ClientID != "seed-client-000002" || tok.Subject != "seed-user-0000014" || fam.Revoked() || !tok.UsedAt.IsZero() {
		t.Fatalf("GetRefreshToken = %+v, %+v, %v", tok, fam, err)
	}
	c, err := s.GetClient(t.Context(), "seed-client-000006")
	if err != nil || len(c.SecretHash) == 0 || len(c.Grants) != 3 {
		t.Fatalf("GetClient = %+v, %v", c, err)
	}
}

func TestRefusesBadSettings(t *testing.T) {
	var stderr strings.Builder
	if code := run(t.Context(), []string{"-users", "0"}, func(string) string { return "" }, io.Discard, &stderr, time.Now); code != 2 {
		t.Fatalf("run = %d, want 2", code)
	}
	for _, want := range []string{"-db is required", "-users", "BENCHSEED_PASSWORD", "BENCHSEED_CLIENT_SECRET"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q lacks %q", stderr.String(), want)
		}
	}
}
