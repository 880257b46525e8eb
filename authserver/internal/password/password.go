package password

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"golang.org/x/crypto/bcrypt"

	"github.com/fastsafe/fastsafe/pkg/tracing"
)

// MaxLength is the longest password, in bytes, that bcrypt hashes in full.
const MaxLength = 72

// Errors returned for passwords and hashes that cannot be processed.
var (
	// ErrTooLong: the password is longer than MaxLength bytes.
	ErrTooLong = errors.New("password: longer than 72 bytes")
	// ErrEmpty: the password is empty.
	ErrEmpty = errors.New("password: empty")
	// ErrMalformedHash: the stored hash is not a bcrypt hash.
	ErrMalformedHash = errors.New("password: malformed stored hash")
)

// Hasher hashes and verifies passwords with bcrypt at a fixed cost, running
// at most a fixed number of bcrypt computations concurrently. It is safe for
// concurrent use.
type Hasher struct {
	cost    int
	sem     chan struct{}
	dummy   []byte
	now     func() time.Time
	observe func(time.Duration)
}

// Option adjusts a Hasher.
type Option func(*Hasher)

// WithObserver makes the Hasher tell observe how long each bcrypt
// computation of Hash and Verify took (not counting the wait for a slot),
// measured with the clock now.
func WithObserver(now func() time.Time, observe func(time.Duration)) Option {
	return func(h *Hasher) { h.now, h.observe = now, observe }
}

// NewHasher returns a Hasher that hashes with the given bcrypt cost (between
// bcrypt.MinCost and bcrypt.MaxCost) and runs at most concurrency bcrypt
// computations at once; concurrency <= 0 means runtime.GOMAXPROCS(0).
//
// It computes one hash at that cost, the dummy hash used for unknown users,
// so it takes as long as one Hash call.
func NewHasher(cost int, concurrency int, opts ...Option) (*Hasher, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("password: bcrypt cost %d outside [%d, %d]", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	// A random password nobody knows: ok is forced to false for unknown
	// users anyway, this only keeps the dummy hash from being guessable.
	dummy, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		return nil, fmt.Errorf("password: computing dummy hash: %w", err)
	}
	h := &Hasher{
		cost:  cost,
		sem:   make(chan struct{}, concurrency),
		dummy: dummy,
	}
	for _, o := range opts {
		o(h)
	}
	return h, nil
}

// eventSlot marks, in the span of a bcrypt computation made inside a
// recorded trace, the end of the wait for a slot: the span shows how long
// the request queued and how long bcrypt ran. Nothing in the span tells
// whether the user exists.
const eventSlot = "bcrypt slot acquired"

// attrCost is the bcrypt cost of the hash computed or compared.
const attrCost = attribute.Key("bcrypt.cost")

// timed runs f, telling the observer, if any, how long it took.
func (h *Hasher) timed(f func()) {
	if h.observe == nil {
		f()
		return
	}
	start := h.now()
	f()
	h.observe(h.now().Sub(start))
}

// Cost returns the bcrypt cost new hashes are computed with.
func (h *Hasher) Cost() int { return h.cost }

// Hash returns the bcrypt hash of pw. It returns ErrEmpty or ErrTooLong for
// passwords bcrypt cannot hash faithfully, and the context's error if ctx is
// done before a bcrypt slot frees up.
func (h *Hasher) Hash(ctx context.Context, pw string) ([]byte, error) {
	if err := checkLength(pw); err != nil {
		return nil, err
	}
	ctx, span := tracing.Start(ctx, "bcrypt hash")
	defer span.End()
	if span.IsRecording() {
		span.SetAttributes(attrCost.Int(h.cost))
	}
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.release()
	span.AddEvent(eventSlot)
	var hash []byte
	var err error
	h.timed(func() { hash, err = bcrypt.GenerateFromPassword([]byte(pw), h.cost) })
	if err != nil {
		return nil, fmt.Errorf("password: hashing: %w", err)
	}
	return hash, nil
}

// Verify compares pw against the stored bcrypt hash.
//
// With a nil or empty hash (an unknown user) it compares pw against a dummy
// hash of the same cost, so that the call takes as long as for a known user,
// and reports ok=false. rehash is true when ok is true and the stored hash
// was computed at a cost other than h.Cost(): the caller should then store a
// fresh hash of pw.
//
// A wrong password is not an error. err is only ErrEmpty, ErrTooLong, the
// context's error, or ErrMalformedHash (wrapped) when the stored hash cannot
// be parsed; it never contains the password.
func (h *Hasher) Verify(ctx context.Context, hash []byte, pw string) (ok, rehash bool, err error) {
	if err := checkLength(pw); err != nil {
		return false, false, err
	}
	known := len(hash) > 0
	cost := h.cost
	if known {
		// Parsing is cheap; a malformed hash is an error of the stored
		// data, reported before any bcrypt work.
		if cost, err = bcrypt.Cost(hash); err != nil {
			return false, false, fmt.Errorf("%w: %w", ErrMalformedHash, err)
		}
	} else {
		hash = h.dummy
	}
	ctx, span := tracing.Start(ctx, "bcrypt verify")
	defer span.End()
	if span.IsRecording() {
		span.SetAttributes(attrCost.Int(cost))
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	span.AddEvent(eventSlot)
	h.timed(func() { err = bcrypt.CompareHashAndPassword(hash, []byte(pw)) })
	h.release()
	switch {
	case err == nil:
		return known, known && cost != h.cost, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, false, nil
	default:
		return false, false, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
}

func checkLength(pw string) error {
	switch {
	case pw == "":
		return ErrEmpty
	case len(pw) > MaxLength:
		return ErrTooLong
	}
	return nil
}

// acquire takes a bcrypt slot, or returns ctx's error if ctx is done first.
func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Both cases may have been ready; a cancelled caller does no work.
	if err := ctx.Err(); err != nil {
		h.release()
		return err
	}
	return nil
}

func (h *Hasher) release() { <-h.sem }
