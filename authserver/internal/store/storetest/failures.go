package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// addFailure counts one failure of key, locking it out at the third.
func addFailure(r store.FailureRecord, now time.Time) store.FailureRecord {
	r.Failures++
	r.LastFailure = now
	if r.Failures == 3 {
		r.Failures, r.Lockouts, r.LockedUntil = 0, r.Lockouts+1, now.Add(time.Minute)
	}
	r.ForgetAt = now.Add(time.Hour)
	return r
}

func testFailureRecords(t *testing.T, s store.Store) {
	got, err := s.GetFailures(ctx(t), []string{"account:a", "client:b"})
	must(t, "GetFailures of no record", err)
	if len(got) != 0 {
		t.Fatalf("GetFailures of no record: %+v", got)
	}
	for i := range 3 {
		r, err := s.UpdateFailures(ctx(t), "account:a", at(time.Duration(i)*time.Second), func(r store.FailureRecord) store.FailureRecord {
			if r.Key != "account:a" {
				t.Errorf("update was given key %q", r.Key)
			}
			return addFailure(r, at(time.Duration(i)*time.Second))
		})
		must(t, "UpdateFailures", err)
		if want := (i + 1) % 3; r.Failures != want {
			t.Fatalf("failure %d: %d failures, want %d", i+1, r.Failures, want)
		}
	}
	_, err = s.UpdateFailures(ctx(t), "client:b", at(0), func(r store.FailureRecord) store.FailureRecord { return addFailure(r, at(0)) })
	must(t, "UpdateFailures", err)

	got, err = s.GetFailures(ctx(t), []string{"account:a", "client:b", "address:c"})
	must(t, "GetFailures", err)
	slices.SortFunc(got, func(a, b store.FailureRecord) int { return strings.Compare(a.Key, b.Key) })
	if len(got) != 2 || got[0].Key != "account:a" || got[1].Key != "client:b" {
		t.Fatalf("GetFailures: %+v", got)
	}
	a := got[0]
	if a.Failures != 0 || a.Lockouts != 1 {
		t.Fatalf("record after three failures: %+v, want one lockout", a)
	}
	sameTime(t, "LockedUntil", a.LockedUntil, at(2*time.Second+time.Minute))
	sameTime(t, "LastFailure", a.LastFailure, at(2*time.Second))
	sameTime(t, "ForgetAt", a.ForgetAt, at(2*time.Second+time.Hour))

	listed, err := s.ListFailures(ctx(t), at(time.Second), at(time.Minute))
	must(t, "ListFailures", err)
	if len(listed) != 1 || listed[0].Key != "account:a" {
		t.Fatalf("ListFailures since the second failure: %+v, want account:a alone", listed)
	}
	listed, err = s.ListFailures(ctx(t), time.Time{}, at(time.Minute))
	must(t, "ListFailures of all", err)
	if len(listed) != 2 {
		t.Fatalf("ListFailures of all: %+v", listed)
	}
	listed, err = s.ListFailures(ctx(t), time.Time{}, at(2*time.Hour))
	must(t, "ListFailures once forgotten", err)
	if len(listed) != 0 {
		t.Fatalf("ListFailures of records past ForgetAt: %+v", listed)
	}

	must(t, "DeleteFailures", s.DeleteFailures(ctx(t), "account:a"))
	must(t, "DeleteFailures of no record", s.DeleteFailures(ctx(t), "account:a"))
	got, err = s.GetFailures(ctx(t), []string{"account:a"})
	must(t, "GetFailures after delete", err)
	if len(got) != 0 {
		t.Fatalf("GetFailures after delete: %+v", got)
	}

	// Expired records go with the rest.
	n, err := s.DeleteExpired(ctx(t), at(2*time.Hour))
	must(t, "DeleteExpired", err)
	if n != 1 {
		t.Fatalf("DeleteExpired removed %d records, want the one failure record", n)
	}
	if _, err := s.UpdateFailures(ctx(t), "", at(0), func(r store.FailureRecord) store.FailureRecord { return r }); err == nil {
		t.Fatal("UpdateFailures of an empty key succeeded")
	}
}

// raceFailures counts failures of one key from a and b at once: every one
// is counted, as the updates run one at a time.
func raceFailures(t *testing.T, a, b store.Store) {
	const n = 20
	errs := make([]error, n)
	race(n, func(i int) {
		s := []store.Store{a, b}[i%2]
		_, errs[i] = s.UpdateFailures(ctx(t), "address:x", at(0), func(r store.FailureRecord) store.FailureRecord {
			r.Failures++
			r.ForgetAt = at(time.Hour)
			return r
		})
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("UpdateFailures: %v", err)
	}
	got, err := b.GetFailures(ctx(t), []string{"address:x"})
	must(t, "GetFailures", err)
	if len(got) != 1 || got[0].Failures != n {
		t.Fatalf("after %d concurrent failures: %s", n, fmt.Sprint(got))
	}
}
