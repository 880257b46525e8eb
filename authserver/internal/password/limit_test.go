package password

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestConcurrencyDefault(t *testing.T) {
	tests := []struct {
		name        string
		concurrency int
		want        int
	}{
		{"zero", 0, runtime.GOMAXPROCS(0)},
		{"negative", -3, runtime.GOMAXPROCS(0)},
		{"explicit", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHasher(bcrypt.MinCost, tt.concurrency)
			if err != nil {
				t.Fatal(err)
			}
			if cap(h.sem) != tt.want {
				t.Fatalf("slots = %d, want %d", cap(h.sem), tt.want)
			}
		})
	}
}

// fullHasher returns a Hasher with one bcrypt slot, already taken.
func fullHasher(t *testing.T) (*Hasher, []byte) {
	t.Helper()
	h, err := NewHasher(bcrypt.MinCost, 1)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash(context.Background(), "password")
	if err != nil {
		t.Fatal(err)
	}
	h.sem <- struct{}{}
	return h, hash
}

// With every slot taken and ctx cancelled, a call returns ErrTooLong or
// ErrEmpty only if it checks the length before waiting for a slot.
func TestLengthCheckedBeforeWaiting(t *testing.T) {
	h, hash := fullHasher(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	huge := strings.Repeat("a", 1<<20)

	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"Hash 1 MB", func() error { _, err := h.Hash(ctx, huge); return err }, ErrTooLong},
		{"Hash empty", func() error { _, err := h.Hash(ctx, ""); return err }, ErrEmpty},
		{"Verify 1 MB", func() error { _, _, err := h.Verify(ctx, hash, huge); return err }, ErrTooLong},
		{"Verify 1 MB unknown user", func() error { _, _, err := h.Verify(ctx, nil, huge); return err }, ErrTooLong},
		{"Verify empty", func() error { _, _, err := h.Verify(ctx, hash, ""); return err }, ErrEmpty},
		{"Verify malformed hash", func() error { _, _, err := h.Verify(ctx, []byte("bogus"), "password"); return err }, ErrMalformedHash},
		{"Hash valid", func() error { _, err := h.Hash(ctx, "password"); return err }, context.Canceled},
		{"Verify valid", func() error { _, _, err := h.Verify(ctx, hash, "password"); return err }, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWaitingHonoursCancellation(t *testing.T) {
	h, hash := fullHasher(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := h.Verify(ctx, hash, "password")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify error = %v, want context.Canceled", err)
	}
	// The cancelled call did not take or release a slot.
	if len(h.sem) != 1 {
		t.Fatalf("slots in use = %d, want 1", len(h.sem))
	}
}

func TestQueuedCallRunsWhenSlotFrees(t *testing.T) {
	h, hash := fullHasher(t)
	type result struct {
		ok  bool
		err error
	}
	done := make(chan result, 1)
	go func() {
		ok, _, err := h.Verify(context.Background(), hash, "password")
		done <- result{ok, err}
	}()
	h.release()
	if r := <-done; !r.ok || r.err != nil {
		t.Fatalf("Verify = %v, %v; want true, nil", r.ok, r.err)
	}
	if len(h.sem) != 0 {
		t.Fatalf("slots in use after return = %d, want 0", len(h.sem))
	}
}

func TestDummyHash(t *testing.T) {
	h, err := NewHasher(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := bcrypt.Cost(h.dummy)
	if err != nil || cost != 5 {
		t.Fatalf("dummy hash cost = %d, %v; want 5", cost, err)
	}
	other, err := NewHasher(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(h.dummy) == string(other.dummy) {
		t.Fatal("two hashers share a dummy hash")
	}
}
