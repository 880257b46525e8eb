package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// RunReplicas runs the tests of several servers sharing one database: what
// one store writes the other sees at once, and concurrent writers in both
// keep the guarantees one store gives. newPair must return two stores on
// the same new, empty database for each call (as two replicas, or a server
// and the administration CLI, open it) and arrange, with t.Cleanup, for
// them to be closed.
func RunReplicas(t *testing.T, newPair func(t *testing.T) (a, b store.Store)) {
	tests := []struct {
		name string
		run  func(t *testing.T, a, b store.Store)
	}{
		{"SeeEachOther", testReplicasSeeEachOther},
		{"ConcurrentRotation", testReplicasConcurrentRotation},
		{"ConcurrentRetries", raceRetries},
		{"ConcurrentSecrets", raceSecrets},
		{"ConcurrentFailures", raceFailures},
		{"RotateWhileRevoking", testReplicasRotateWhileRevoking},
		{"ConcurrentUpdateUser", testReplicasConcurrentUpdateUser},
		{"ConcurrentSubjectClaims", testReplicasConcurrentSubjectClaims},
		{"ConcurrentClaimOnce", testReplicasConcurrentClaimOnce},
		{"ConcurrentDeleteExpired", testReplicasConcurrentDeleteExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newPair(t)
			tc.run(t, a, b)
		})
	}
}

// testReplicasSeeEachOther checks that every kind of record written
// through one store is visible through the other at once.
func testReplicasSeeEachOther(t *testing.T, a, b store.Store) {
	must(t, "CreateUser at a", a.CreateUser(ctx(t), sampleUser("alice")))
	must(t, "UpdateUser at b", b.UpdateUser(ctx(t), "alice", func(u store.User) (store.User, error) {
		u.Disabled = true
		return u, nil
	}))
	u, err := a.GetUser(ctx(t), "alice")
	must(t, "GetUser at a", err)
	if !u.Disabled {
		t.Fatal("a user disabled through one store is enabled in the other")
	}
	must(t, "CreateClient at b", b.CreateClient(ctx(t), sampleClient("web")))
	wantErr(t, "CreateUser at a with b's client ID", a.CreateUser(ctx(t), sampleUser("web")), store.ErrAlreadyExists)
	must(t, "DeleteClient at a", a.DeleteClient(ctx(t), "web"))
	_, err = b.GetClient(ctx(t), "web")
	wantErr(t, "GetClient at b after delete at a", err, store.ErrNotFound)

	f, t1 := newFamily(t, a, "fam", "web", "alice")
	must(t, "RevokeRefreshFamily at b", b.RevokeRefreshFamily(ctx(t), f.ID, at(time.Minute)))
	wantErr(t, "RotateRefreshToken at a", rotate(a, ctx(t), t1.ID, at(time.Hour),
		sampleToken("fam-t2", f, at(time.Hour))), store.ErrTokenReused)

	must(t, "RevokeAccessToken at a", a.RevokeAccessToken(ctx(t), "jti-1", at(time.Hour)))
	if !revoked(t, b, "jti-1") {
		t.Fatal("an access token revoked through one store is not revoked in the other")
	}
	must(t, "CreateSigningKey at b", b.CreateSigningKey(ctx(t), sampleKey("k1", at(0))))
	ks, err := a.ListSigningKeys(ctx(t))
	must(t, "ListSigningKeys at a", err)
	if len(ks) != 1 || ks[0].ID != "k1" {
		t.Fatalf("ListSigningKeys at a: %+v", ks)
	}
}

// testReplicasConcurrentRotation rotates one token from both stores at
// once: exactly one rotation succeeds.
func testReplicasConcurrentRotation(t *testing.T, a, b store.Store) {
	const n = 20
	f, t1 := newFamily(t, a, "fam", "web", "alice")
	now := at(time.Hour)
	errs := make([]error, n)
	race(n, func(i int) {
		s := []store.Store{a, b}[i%2]
		errs[i] = rotate(s, ctx(t), t1.ID, now, sampleToken(fmt.Sprintf("next-%02d", i), f, now))
	})
	winner := oneWinner(t, errs)
	for i := range n {
		_, _, err := b.GetRefreshToken(ctx(t), fmt.Sprintf("next-%02d", i))
		if (i == winner) != (err == nil) {
			t.Fatalf("token of rotation %d (winner %d): %v", i, winner, err)
		}
	}
	if !getFamily(t, a, f.ID).Revoked() {
		t.Fatal("family not revoked after concurrent reuse")
	}
}

// testReplicasRotateWhileRevoking races rotations of a family's tokens in
// one store with the revocation of the family in the other: whatever the
// order, the family ends revoked, and a rotation reported as successful
// stored its token.
func testReplicasRotateWhileRevoking(t *testing.T, a, b store.Store) {
	const families = 10
	type result struct {
		rotate, revoke error
	}
	results := make([]result, families)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range families {
		f, t1 := newFamily(t, a, fmt.Sprintf("fam-%02d", i), "web", "alice")
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			results[i].rotate = rotate(a, ctx(t), t1.ID, at(time.Hour), sampleToken(f.ID+"-t2", f, at(time.Hour)))
		}()
		go func() {
			defer wg.Done()
			<-start
			results[i].revoke = b.RevokeRefreshFamily(ctx(t), f.ID, at(time.Hour))
		}()
	}
	close(start)
	wg.Wait()
	for i, r := range results {
		id := fmt.Sprintf("fam-%02d", i)
		must(t, "RevokeRefreshFamily "+id, r.revoke)
		if r.rotate != nil && !errors.Is(r.rotate, store.ErrTokenReused) {
			t.Fatalf("RotateRefreshToken %s: %v", id, r.rotate)
		}
		if !getFamily(t, b, id).Revoked() {
			t.Fatalf("family %s not revoked", id)
		}
		t1, _ := getToken(t, b, id+"-t1")
		_, _, err := b.GetRefreshToken(ctx(t), id+"-t2")
		if rotated := r.rotate == nil; rotated != (err == nil) || rotated == t1.UsedAt.IsZero() {
			t.Fatalf("family %s: rotation %v, yet next token lookup %v and first token used at %v", id, r.rotate, err, t1.UsedAt)
		}
	}
}

func testReplicasConcurrentUpdateUser(t *testing.T, a, b store.Store) {
	const n = 20
	must(t, "CreateUser", a.CreateUser(ctx(t), store.User{Username: "alice"}))
	errs := make([]error, n)
	race(n, func(i int) {
		s := []store.Store{a, b}[i%2]
		errs[i] = s.UpdateUser(ctx(t), "alice", func(u store.User) (store.User, error) {
			u.Scopes = addScope(u.Scopes, i)
			return u, nil
		})
	})
	for _, err := range errs {
		must(t, "UpdateUser", err)
	}
	for _, s := range []store.Store{a, b} {
		assertAllScopes(t, getUser(t, s, "alice").Scopes, n)
	}
}

func testReplicasConcurrentSubjectClaims(t *testing.T, a, b store.Store) {
	const n = 10
	errs := make(chan error, 2*n)
	start := make(chan struct{})
	for i := range n {
		name := fmt.Sprintf("subject-%02d", i)
		go func() {
			<-start
			errs <- a.CreateUser(ctx(t), sampleUser(name))
		}()
		go func() {
			<-start
			errs <- b.CreateClient(ctx(t), sampleClient(name))
		}()
	}
	close(start)
	wins := 0
	for range 2 * n {
		switch err := <-errs; {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Fatalf("create: %v", err)
		}
	}
	if wins != n {
		t.Fatalf("%d creations succeeded, want %d (one per name)", wins, n)
	}
}

func testReplicasConcurrentClaimOnce(t *testing.T, a, b store.Store) {
	const n = 20
	type result struct {
		won bool
		err error
	}
	results := make(chan result, n)
	start := make(chan struct{})
	for i := range n {
		s := []store.Store{a, b}[i%2]
		go func() {
			<-start
			won, err := s.ClaimOnce(ctx(t), "demo-data", at(0))
			results <- result{won, err}
		}()
	}
	close(start)
	wins := 0
	for range n {
		r := <-results
		must(t, "ClaimOnce", r.err)
		if r.won {
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("%d callers won the claim, want exactly 1", wins)
	}
}

// testReplicasConcurrentDeleteExpired runs the cleanup in both stores at
// once, as every replica runs it: together they remove every expired
// record exactly once, and nothing else.
func testReplicasConcurrentDeleteExpired(t *testing.T, a, b store.Store) {
	const families, revocations = 200, 600
	now := at(100 * 24 * time.Hour)
	for i := range families {
		f := sampleFamily(fmt.Sprintf("f%04d", i), "web", "alice", now.Add(-familyLife-time.Duration(i+1)))
		must(t, "CreateRefreshToken", a.CreateRefreshToken(ctx(t), f, sampleToken(f.ID+"-t1", f, f.CreatedAt)))
	}
	for i := range revocations {
		must(t, "RevokeAccessToken", b.RevokeAccessToken(ctx(t), fmt.Sprintf("jti-%04d", i), now.Add(-time.Duration(i+1))))
	}
	live := sampleFamily("live", "web", "alice", now.Add(-familyLife))
	must(t, "CreateRefreshToken", a.CreateRefreshToken(ctx(t), live, sampleToken("live-t1", live, live.CreatedAt)))
	must(t, "RevokeAccessToken", a.RevokeAccessToken(ctx(t), "live-jti", now.Add(time.Hour)))

	totals := make([]int, 4)
	race(len(totals), func(i int) {
		totals[i] = deleteAllExpired(t, []store.Store{a, b}[i%2], now)
	})
	sum := 0
	for _, n := range totals {
		sum += n
	}
	if want := 2*families + revocations; sum != want {
		t.Fatalf("the cleaners removed %d records in all (%v), want %d", sum, totals, want)
	}
	for _, s := range []store.Store{a, b} {
		if n, err := s.DeleteExpired(ctx(t), now); err != nil || n != 0 {
			t.Fatalf("DeleteExpired after the cleaners: %d, %v", n, err)
		}
	}
	getFamily(t, b, live.ID)
	if !revoked(t, b, "live-jti") {
		t.Fatal("unexpired revocation record removed")
	}
}
