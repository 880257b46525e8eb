package sqlstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// registrationTokens lists the columns of an initial access token.
var registrationTokens = newTable("registration_tokens", 1, func(_ *dialect, t *store.RegistrationToken) []field {
	return []field{
		{"id", &t.ID},
		{"uses_left", &t.UsesLeft},
		{"created_at", (*nanos)(&t.CreatedAt)},
		{"expires_at", (*nanos)(&t.ExpiresAt)},
	}
})

var (
	qMarkClientUsed = newQuery(`UPDATE clients SET first_used_at = ? WHERE id = ? AND first_used_at IS NULL`)
	qUnusedClients  = newQuery(`SELECT id FROM clients
WHERE registration_token_hash IS NOT NULL AND first_used_at IS NULL AND created_at < ?`)
	qUseRegistrationToken = newQuery(`UPDATE registration_tokens SET uses_left = uses_left - 1
WHERE id = ? AND uses_left > 0 AND expires_at > ?`)
	qDeleteRegistrationToken = newQuery(`DELETE FROM registration_tokens WHERE id = ?`)
)

// MarkClientUsed sets the client's FirstUsedAt to now unless it is set.
func (s *Store) MarkClientUsed(ctx context.Context, id string, now time.Time) error {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return s.errs.Prefix("mark client used", err)
	}
	n, err := s.exec(ctx, qMarkClientUsed, (*nanos)(&now), id)
	if err == nil && n == 0 {
		// Nothing marked: store.ErrNotFound unless it is marked already.
		_, err = get(ctx, s, clients, "mark client used", id)
		return err
	}
	return s.wrap("mark client used", err)
}

// DeleteUnusedClients deletes the registered clients never used that
// were created before cutoff, one by one as DeleteClient does.
func (s *Store) DeleteUnusedClients(ctx context.Context, cutoff time.Time) (int, error) {
	if err := sqlcodec.RequireTimes(cutoff); err != nil {
		return 0, s.errs.Prefix("delete unused clients", err)
	}
	var ids []string
	err := s.retryRead(ctx, func() error {
		ids = ids[:0]
		rows, err := s.read.query(ctx, s.sql[qUnusedClients], (*nanos)(&cutoff))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, s.wrap("delete unused clients", err)
	}
	n := 0
	for _, id := range ids {
		switch err := s.DeleteClient(ctx, id); {
		case err == nil:
			n++
		case errors.Is(err, store.ErrNotFound):
			// Deleted meanwhile, by a replica or its owner.
		default:
			return n, err
		}
	}
	return n, nil
}

// CreateRegistrationToken stores t; store.ErrAlreadyExists for a
// duplicate ID.
func (s *Store) CreateRegistrationToken(ctx context.Context, t store.RegistrationToken) error {
	if t.ID == "" || t.UsesLeft < 1 {
		return s.errs.Prefix("create registration token", errors.New("empty id, or no use"))
	}
	if err := sqlcodec.RequireTimes(t.ExpiresAt); err != nil {
		return s.errs.Prefix("create registration token", err)
	}
	_, err := s.exec(ctx, registrationTokens.insert, registrationTokens.ptrs(s.d, &t)...)
	return s.wrap("create registration token", err)
}

// UseRegistrationToken spends one use of token id, by a conditional
// UPDATE: of concurrent uses of its last one, one changes the row.
func (s *Store) UseRegistrationToken(ctx context.Context, id string, now time.Time) (store.RegistrationToken, error) {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return store.RegistrationToken{}, s.errs.Prefix("use registration token", err)
	}
	var t store.RegistrationToken
	err := s.inTx(ctx, func(tx tx) error {
		n, err := tx.exec(qUseRegistrationToken, id, (*nanos)(&now))
		if err != nil {
			return err
		}
		if err := mustAffect(n); err != nil {
			return err
		}
		t, err = registrationTokens.scan(s.d, tx.queryRow(registrationTokens.get, id))
		return err
	})
	if err != nil {
		return store.RegistrationToken{}, s.wrap("use registration token", err)
	}
	return t, nil
}

// ListRegistrationTokens returns every token, ordered by ID.
func (s *Store) ListRegistrationTokens(ctx context.Context) ([]store.RegistrationToken, error) {
	ts, err := all(ctx, s, registrationTokens, "list registration tokens")
	slices.SortFunc(ts, func(a, b store.RegistrationToken) int { return strings.Compare(a.ID, b.ID) })
	return ts, err
}

// DeleteRegistrationToken removes token id.
func (s *Store) DeleteRegistrationToken(ctx context.Context, id string) error {
	n, err := s.exec(ctx, qDeleteRegistrationToken, id)
	if err == nil {
		err = mustAffect(n)
	}
	return s.wrap("delete registration token", err)
}
