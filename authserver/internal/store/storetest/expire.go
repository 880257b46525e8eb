package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func testDeleteExpired(t *testing.T, s store.Store) {
	now := at(100 * 24 * time.Hour)

	// Expired family with two tokens (one rotated into the other).
	gone := sampleFamily("gone", "web", "alice", now.Add(-familyLife-time.Nanosecond))
	g1 := sampleToken("gone-t1", gone, gone.CreatedAt)
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), gone, g1))
	must(t, "RotateRefreshToken", rotate(s, ctx(t), g1.ID, gone.CreatedAt.Add(time.Hour),
		sampleToken("gone-t2", gone, gone.CreatedAt.Add(time.Hour))))
	// Family expiring exactly now: not before now, so kept.
	edge := sampleFamily("edge", "web", "alice", now.Add(-familyLife))
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), edge, sampleToken("edge-t1", edge, edge.CreatedAt)))
	// Live family whose first token's own expiry has passed: kept whole.
	live := sampleFamily("live", "web", "bob", now.Add(-2*tokenLife))
	l1 := sampleToken("live-t1", live, live.CreatedAt)
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), live, l1))
	// A revoked but unexpired family is kept too.
	rev := sampleFamily("rev", "web", "bob", now.Add(-time.Hour))
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), rev, sampleToken("rev-t1", rev, rev.CreatedAt)))
	must(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx(t), rev.ID, now.Add(-time.Minute)))

	must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx(t), "expired-jti", now.Add(-time.Second)))
	must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx(t), "edge-jti", now))
	must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx(t), "live-jti", now.Add(time.Second)))

	// Users, clients and keys never expire.
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("alice")))
	must(t, "CreateClient", s.CreateClient(ctx(t), sampleClient("web")))
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx(t), sampleKey("k1", at(-365*24*time.Hour))))

	total := deleteAllExpired(t, s, now)
	if want := 1 + 2 + 1; total != want { // family, its two tokens, one revocation
		t.Fatalf("DeleteExpired removed %d records, want %d", total, want)
	}

	_, err := s.GetRefreshFamily(ctx(t), gone.ID)
	wantErr(t, "expired family", err, store.ErrNotFound)
	for _, id := range []string{"gone-t1", "gone-t2"} {
		_, _, err := s.GetRefreshToken(ctx(t), id)
		wantErr(t, "token of an expired family", err, store.ErrNotFound)
	}
	for _, id := range []string{"edge-t1", "live-t1", "rev-t1"} {
		getToken(t, s, id)
	}
	if !getFamily(t, s, rev.ID).Revoked() {
		t.Fatal("revoked family lost its revocation")
	}
	if revoked(t, s, "expired-jti") {
		t.Fatal("expired revocation record kept")
	}
	if !revoked(t, s, "edge-jti") || !revoked(t, s, "live-jti") {
		t.Fatal("unexpired revocation record removed")
	}
	if _, err := s.GetUser(ctx(t), "alice"); err != nil {
		t.Fatalf("GetUser after DeleteExpired: %v", err)
	}
	if _, err := s.GetClient(ctx(t), "web"); err != nil {
		t.Fatalf("GetClient after DeleteExpired: %v", err)
	}
	if ks, err := s.ListSigningKeys(ctx(t)); err != nil || len(ks) != 1 {
		t.Fatalf("ListSigningKeys after DeleteExpired: %d keys, %v", len(ks), err)
	}

	n, err := s.DeleteExpired(ctx(t), now)
	must(t, "DeleteExpired again", err)
	if n != 0 {
		t.Fatalf("DeleteExpired again removed %d records, want 0", n)
	}
}

// testDeleteRevokedAndRotated checks that DeleteExpired removes families
// revoked more than an hour ago, with their tokens, and rotated tokens
// more than an hour past their expiry, and keeps the rest.
func testDeleteRevokedAndRotated(t *testing.T, s store.Store) {
	now := at(100 * 24 * time.Hour)
	revokedAt := func(id string, ago time.Duration) {
		f := sampleFamily(id, "web", "alice", now.Add(-3*time.Hour))
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), f, sampleToken(id+"-t1", f, f.CreatedAt)))
		must(t, "RevokeRefreshFamily", s.RevokeRefreshFamily(ctx(t), id, now.Add(-ago)))
	}
	revokedAt("rev-old", time.Hour+time.Nanosecond)
	revokedAt("rev-new", 30*time.Minute)
	// A chain whose first two tokens were rotated and expired a day ago,
	// and whose last, unused, expired too.
	chain := sampleFamily("chain", "web", "bob", now.Add(-2*tokenLife-2*time.Hour))
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), chain, sampleToken("chain-t1", chain, chain.CreatedAt)))
	for i, at := range []time.Time{chain.CreatedAt.Add(time.Hour), chain.CreatedAt.Add(2 * time.Hour)} {
		must(t, "RotateRefreshToken", rotate(s, ctx(t), fmt.Sprintf("chain-t%d", i+1), at,
			sampleToken(fmt.Sprintf("chain-t%d", i+2), chain, at)))
	}
	// A rotated token that expired half an hour ago: kept.
	recent := sampleFamily("recent", "web", "bob", now.Add(-tokenLife-30*time.Minute))
	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), recent, sampleToken("recent-t1", recent, recent.CreatedAt)))
	must(t, "RotateRefreshToken", rotate(s, ctx(t), "recent-t1", recent.CreatedAt.Add(time.Minute),
		sampleToken("recent-t2", recent, recent.CreatedAt.Add(time.Minute))))

	if total, want := deleteAllExpired(t, s, now), 2+2; total != want { // rev-old and its token, chain-t1, chain-t2
		t.Fatalf("DeleteExpired removed %d records, want %d", total, want)
	}
	_, err := s.GetRefreshFamily(ctx(t), "rev-old")
	wantErr(t, "family revoked over an hour ago", err, store.ErrNotFound)
	for _, id := range []string{"rev-old-t1", "chain-t1", "chain-t2"} {
		_, _, err := s.GetRefreshToken(ctx(t), id)
		wantErr(t, "token "+id, err, store.ErrNotFound)
	}
	for _, id := range []string{"rev-new-t1", "chain-t3", "recent-t1", "recent-t2"} {
		getToken(t, s, id)
	}
}

// testDeleteExpiredMany checks that repeated calls remove everything even
// when there is more than a backend may remove in one call.
func testDeleteExpiredMany(t *testing.T, s store.Store) {
	const families, revocations = 300, 1200
	now := at(100 * 24 * time.Hour)
	for i := range families {
		f := sampleFamily(fmt.Sprintf("f%04d", i), "web", "alice", now.Add(-familyLife-time.Duration(i+1)))
		must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx(t), f, sampleToken(f.ID+"-t1", f, f.CreatedAt)))
	}
	for i := range revocations {
		must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx(t), fmt.Sprintf("jti-%04d", i), now.Add(-time.Duration(i+1))))
	}
	must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx(t), "live", now.Add(time.Hour)))

	if total, want := deleteAllExpired(t, s, now), 2*families+revocations; total != want {
		t.Fatalf("DeleteExpired removed %d records in all, want %d", total, want)
	}
	for _, i := range []int{0, families - 1} {
		_, err := s.GetRefreshFamily(ctx(t), fmt.Sprintf("f%04d", i))
		wantErr(t, "expired family", err, store.ErrNotFound)
	}
	if revoked(t, s, "jti-0000") || revoked(t, s, fmt.Sprintf("jti-%04d", revocations-1)) {
		t.Fatal("expired revocation record kept")
	}
	if !revoked(t, s, "live") {
		t.Fatal("unexpired revocation record removed")
	}
}

// deleteAllExpired calls DeleteExpired until it removes nothing and returns
// the total it removed.
func deleteAllExpired(t *testing.T, s store.Store, now time.Time) int {
	t.Helper()
	total := 0
	for range 10000 {
		n, err := s.DeleteExpired(ctx(t), now)
		must(t, "DeleteExpired", err)
		if n < 0 {
			t.Fatalf("DeleteExpired returned %d", n)
		}
		if n == 0 {
			return total
		}
		total += n
	}
	t.Fatal("DeleteExpired never finished")
	return 0
}
