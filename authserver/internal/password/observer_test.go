package password_test

import (
	"context"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/password"
)

func TestObserverTimesEachComputation(t *testing.T) {
	// A clock that moves a second per reading: each computation lasts 1s.
	var ticks int
	now := func() time.Time { ticks++; return time.Unix(int64(ticks), 0) }
	var seen []time.Duration
	h, err := password.NewHasher(4, 1, password.WithObserver(now, func(d time.Duration) { seen = append(seen, d) }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hash, err := h.Hash(ctx, "pw-1")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := h.Verify(ctx, hash, "pw-1"); !ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	if ok, _, _ := h.Verify(ctx, nil, "pw-1"); ok { // unknown user: the dummy hash
		t.Fatal("Verify of an unknown user succeeded")
	}
	if _, err := h.Hash(ctx, ""); err == nil { // refused before any bcrypt work
		t.Fatal("Hash of an empty password succeeded")
	}
	if len(seen) != 3 {
		t.Fatalf("observed %d computations, want 3: %v", len(seen), seen)
	}
	for _, d := range seen {
		if d != time.Second {
			t.Errorf("observed %v, want 1s", d)
		}
	}
}
