package postgres

import (
	"testing"
	"time"
)

// TestDeleteExpiredBatches removes more rows than one batch holds in one
// call.
func TestDeleteExpiredBatches(t *testing.T) {
	s := fresh(t)
	ctx := t.Context()
	const n = 25
	for i := range n {
		if err := s.RevokeAccessToken(ctx, "jti-"+string(rune('A'+i)), clock.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.deleteExpired(ctx, clock, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Fatalf("removed %d, want %d", got, n)
	}
}
