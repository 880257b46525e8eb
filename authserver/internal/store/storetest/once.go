package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func testClaimOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	first, err := s.ClaimOnce(ctx, "demo-data", at(0))
	if err != nil || !first {
		t.Fatalf("first claim = %v, %v; want true", first, err)
	}
	again, err := s.ClaimOnce(ctx, "demo-data", at(1))
	if err != nil || again {
		t.Fatalf("second claim = %v, %v; want false", again, err)
	}
	other, err := s.ClaimOnce(ctx, "other-step", at(0))
	if err != nil || !other {
		t.Fatalf("claim of another step = %v, %v; want true", other, err)
	}
}

func testClaimOnceConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimOnce(ctx, "race", at(0))
			if err != nil {
				t.Errorf("claim: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d callers won the claim, want exactly 1", wins.Load())
	}
}
