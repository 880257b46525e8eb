package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// failureRecords lists the columns of a failure record.
var failureRecords = newTable("failure_records", 1, func(_ *dialect, r *store.FailureRecord) []field {
	return []field{
		{"key", &r.Key},
		{"failures", &r.Failures},
		{"lockouts", &r.Lockouts},
		{"last_failure", (*nanos)(&r.LastFailure)},
		{"locked_until", (*nanos)(&r.LockedUntil)},
		{"forget_at", (*nanos)(&r.ForgetAt)},
	}
})

var (
	qGetFailures = newReadQuery(`SELECT ` + failureRecords.columns("") + ` FROM failure_records WHERE key {in list}`)
	// qNewFailures makes the record an update locks, if there is none.
	qNewFailures    = newQuery(`INSERT INTO failure_records (key, failures, lockouts, forget_at) VALUES (?, 0, 0, ?) ON CONFLICT (key) DO NOTHING`)
	qDeleteFailures = newQuery(`DELETE FROM failure_records WHERE key = ?`)
	qListFailures   = newQuery(`SELECT ` + failureRecords.columns("") + ` FROM failure_records
WHERE last_failure >= ? AND forget_at > ?`)
	qExpireFailures = newQuery(`DELETE FROM failure_records WHERE key IN (
	SELECT key FROM failure_records WHERE forget_at < ? LIMIT ? {for update skip locked})`)
)

// GetFailures returns the failure records of those of keys that have one.
func (s *Store) GetFailures(ctx context.Context, keys []string) ([]store.FailureRecord, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	return selectAll(ctx, s, failureRecords, "get failures", qGetFailures, s.d.list(&keys))
}

// UpdateFailures applies update to the record of key in one transaction:
// the record is made if missing, then locked (PostgreSQL's row lock,
// SQLite's write lock), updated and written back.
func (s *Store) UpdateFailures(ctx context.Context, key string, now time.Time, update func(store.FailureRecord) store.FailureRecord) (store.FailureRecord, error) {
	if key == "" {
		return store.FailureRecord{}, s.errs.Prefix("update failures", errors.New("empty key"))
	}
	if err := sqlcodec.RequireTimes(now); err != nil {
		return store.FailureRecord{}, s.errs.Prefix("update failures", err)
	}
	var out store.FailureRecord
	err := s.inTx(ctx, func(tx tx) error {
		if _, err := tx.exec(qNewFailures, key, (*nanos)(&now)); err != nil {
			return err
		}
		r, err := failureRecords.scan(s.d, tx.queryRow(failureRecords.lock, key))
		if err != nil {
			return err
		}
		out = update(r)
		out.Key = key
		if err := sqlcodec.RequireTimes(out.ForgetAt); err != nil {
			return err
		}
		if err := sqlcodec.CheckTimes(out.LastFailure, out.LockedUntil); err != nil {
			return err
		}
		_, err = tx.exec(failureRecords.update, failureRecords.updateArgs(s.d, &out)...)
		return err
	})
	if err != nil {
		return store.FailureRecord{}, s.wrap("update failures", err)
	}
	return out, nil
}

// DeleteFailures removes the record of key, if there is one.
func (s *Store) DeleteFailures(ctx context.Context, key string) error {
	_, err := s.exec(ctx, qDeleteFailures, key)
	return s.wrap("delete failures", err)
}

// ListFailures returns the records whose last failure came at or after
// since and that are not forgotten at now.
func (s *Store) ListFailures(ctx context.Context, since, now time.Time) ([]store.FailureRecord, error) {
	if err := sqlcodec.CheckTimes(since); err != nil {
		return nil, s.errs.Prefix("list failures", err)
	}
	if err := sqlcodec.RequireTimes(now); err != nil {
		return nil, s.errs.Prefix("list failures", err)
	}
	if since.IsZero() {
		since = time.Unix(0, 1)
	}
	return selectAll(ctx, s, failureRecords, "list failures", qListFailures, (*nanos)(&since), (*nanos)(&now))
}
