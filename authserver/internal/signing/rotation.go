package signing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// RotationStore is the storage scheduled rotation needs: the keys, and a
// record of one-time steps through which replicas sharing the store agree
// on which of them creates the next key.
type RotationStore interface {
	KeyStore
	// ClaimOnce records that the one-time step name has run: true for
	// exactly one caller, in any process, and false ever after.
	ClaimOnce(ctx context.Context, name string, at time.Time) (bool, error)
}

// DefaultRotationCheckInterval is how often Rotator.Run checks whether a
// rotation is due, unless RotatorOptions say otherwise.
const DefaultRotationCheckInterval = time.Minute

// claimRetry is how long a claimed rotation that produced no key (its
// process died between the claim and the insert) blocks the next attempt:
// the claim's name changes every claimRetry after the rotation fell due.
const claimRetry = 10 * time.Minute

// RotatorOptions configure a Rotator. Zero fields take the documented
// defaults, except Period, which is required.
type RotatorOptions struct {
	// Period is the age, from its creation, at which the active key is
	// replaced.
	Period time.Duration
	// ActivateAfter is how long a new key is published before it signs,
	// as for Rotate.
	ActivateAfter time.Duration
	// Algorithm of new keys (DefaultAlgorithm).
	Algorithm string
	// TokenTTL is the longest access-token lifetime, as in Options
	// (DefaultTokenTTL).
	TokenTTL time.Duration
	// CheckInterval is how often Run checks whether a rotation is due
	// (DefaultRotationCheckInterval).
	CheckInterval time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
	// Logger receives an audit line for every key this process creates,
	// and failures; never key material (discarded by default).
	Logger *slog.Logger
	// Rotated, if set, is called after this process has stored a new
	// key: to reload the keyring at once, and to count rotations.
	Rotated func(ctx context.Context, k store.SigningKey)
}

// Rotator replaces the signing key on a schedule, by the rules of a manual
// rotation: when the active key is Period old and no newer key is waiting
// to activate, it creates a key that is published at once and signs after
// ActivateAfter; the old key retires then and stays published until its
// last token has expired (see the package documentation).
//
// Several replicas sharing a store may each run a Rotator: for each active
// key, only the replica that wins ClaimOnce("key-rotation:<kid>:<n>")
// creates its successor, so a period never gets two keys. (n counts
// claimRetry intervals since the rotation fell due, so that a replica that
// dies after claiming delays the rotation rather than preventing it.)
type Rotator struct {
	st      RotationStore
	period  time.Duration
	after   time.Duration
	alg     string
	ttl     time.Duration
	every   time.Duration
	now     func() time.Time
	log     *slog.Logger
	rotated func(context.Context, store.SigningKey)
}

// NewRotator returns a Rotator over st. It fails if opts.Period is not
// positive or opts.ActivateAfter is negative.
func NewRotator(st RotationStore, opts RotatorOptions) (*Rotator, error) {
	if opts.Period <= 0 {
		return nil, fmt.Errorf("signing: rotation period %s is not positive", opts.Period)
	}
	if opts.ActivateAfter < 0 {
		return nil, fmt.Errorf("signing: negative activation delay %s", opts.ActivateAfter)
	}
	r := &Rotator{
		st:      st,
		period:  opts.Period,
		after:   opts.ActivateAfter,
		alg:     opts.Algorithm,
		ttl:     opts.TokenTTL,
		every:   opts.CheckInterval,
		now:     opts.Now,
		log:     opts.Logger,
		rotated: opts.Rotated,
	}
	if r.alg == "" {
		r.alg = DefaultAlgorithm
	}
	if r.ttl <= 0 {
		r.ttl = DefaultTokenTTL
	}
	if r.every <= 0 {
		r.every = DefaultRotationCheckInterval
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// RotationDue reports whether keys call for a scheduled rotation at now:
// a key is active, it was created period or longer ago, and no newer key
// is waiting to activate. It returns the active key and when its rotation
// fell due.
func RotationDue(keys []store.SigningKey, now time.Time, period, tokenTTL time.Duration) (active KeyInfo, dueAt time.Time, due bool) {
	var found bool
	for _, k := range Describe(keys, now, tokenTTL) {
		switch k.State {
		case StateNext:
			return KeyInfo{}, time.Time{}, false
		case StateActive:
			active, found = k, true
		}
	}
	if !found {
		// No key signs yet: the keyring creates the first one.
		return KeyInfo{}, time.Time{}, false
	}
	dueAt = active.CreatedAt.Add(period)
	return active, dueAt, !now.Before(dueAt)
}

// Check rotates the key if a rotation is due and no other replica has
// claimed it. It returns the new key and true if this call created one.
func (r *Rotator) Check(ctx context.Context) (store.SigningKey, bool, error) {
	now := r.now()
	keys, err := r.st.ListSigningKeys(ctx)
	if err != nil {
		return store.SigningKey{}, false, fmt.Errorf("signing: listing keys: %w", err)
	}
	active, dueAt, due := RotationDue(keys, now, r.period, r.ttl)
	if !due {
		return store.SigningKey{}, false, nil
	}
	// Generate before claiming, so that the time between the claim and
	// the insert, when a crash would lose the rotation, is short.
	k, err := GenerateKey(r.alg, now, now.Add(r.after))
	if err != nil {
		return store.SigningKey{}, false, err
	}
	claim := fmt.Sprintf("key-rotation:%s:%d", active.ID, now.Sub(dueAt)/claimRetry)
	won, err := r.st.ClaimOnce(ctx, claim, now)
	if err != nil {
		return store.SigningKey{}, false, fmt.Errorf("signing: claiming the rotation of key %s: %w", active.ID, err)
	}
	if !won {
		return store.SigningKey{}, false, nil // another replica rotates
	}
	if err := r.st.CreateSigningKey(ctx, k); err != nil {
		return store.SigningKey{}, false, fmt.Errorf("signing: storing key %s: %w", k.ID, err)
	}
	r.log.InfoContext(ctx, "signing key rotated on schedule",
		"audit", true, "actor", "schedule", "kid", k.ID, "alg", k.Algorithm,
		"activates_at", k.ActivatesAt.UTC().Format(time.RFC3339), "replaces", active.ID,
		"period", r.period.String())
	if r.rotated != nil {
		r.rotated(ctx, k)
	}
	return k, true, nil
}

// Run checks at once and then every CheckInterval until ctx is done. A
// failed check is logged and retried at the next one.
func (r *Rotator) Run(ctx context.Context) {
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		if _, _, err := r.Check(ctx); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			r.log.Error("signing: scheduled key rotation failed; retrying", "err", err, "retry_in", r.every.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
