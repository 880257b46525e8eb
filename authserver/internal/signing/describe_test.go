package signing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func TestDescribe(t *testing.T) {
	const tokenTTL = 30 * time.Minute
	key := func(id string, activates time.Time) store.SigningKey {
		return store.SigningKey{ID: id, Algorithm: signing.ES256, CreatedAt: t0.Add(-time.Hour), ActivatesAt: activates}
	}
	// Deliberately unordered.
	keys := []store.SigningKey{
		key("c", t0.Add(2*time.Hour+10*time.Minute)),
		key("a", t0),
		key("b", t0.Add(2*time.Hour)),
	}
	input := slices.Clone(keys)
	aUnpublish := t0.Add(2*time.Hour + tokenTTL + signing.PublishLeeway)
	bUnpublish := t0.Add(2*time.Hour + 10*time.Minute + tokenTTL + signing.PublishLeeway)

	const (
		N = signing.StateNext
		A = signing.StateActive
		R = signing.StateRetired
		E = signing.StateExpired
	)
	tests := []struct {
		name string
		at   time.Time
		want []signing.KeyState // for a, b, c
	}{
		{"before any activation", t0.Add(-time.Nanosecond), []signing.KeyState{N, N, N}},
		{"first activation", t0, []signing.KeyState{A, N, N}},
		{"just before b", t0.Add(2*time.Hour - time.Nanosecond), []signing.KeyState{A, N, N}},
		{"b activates", t0.Add(2 * time.Hour), []signing.KeyState{R, A, N}},
		{"just before c", t0.Add(2*time.Hour + 10*time.Minute - time.Nanosecond), []signing.KeyState{R, A, N}},
		{"c activates", t0.Add(2*time.Hour + 10*time.Minute), []signing.KeyState{R, R, A}},
		{"just before a unpublished", aUnpublish.Add(-time.Nanosecond), []signing.KeyState{R, R, A}},
		{"a unpublished", aUnpublish, []signing.KeyState{E, R, A}},
		{"b unpublished", bUnpublish, []signing.KeyState{E, E, A}},
		{"much later", t0.Add(1000 * time.Hour), []signing.KeyState{E, E, A}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			infos := signing.Describe(keys, tt.at, tokenTTL)
			var ids []string
			var states []signing.KeyState
			for _, in := range infos {
				ids = append(ids, in.ID)
				states = append(states, in.State)
			}
			if !slices.Equal(ids, []string{"a", "b", "c"}) {
				t.Fatalf("order = %v, want [a b c]", ids)
			}
			if !slices.Equal(states, tt.want) {
				t.Fatalf("states = %v, want %v", states, tt.want)
			}
		})
	}

	t.Run("windows", func(t *testing.T) {
		infos := signing.Describe(keys, t0, tokenTTL)
		want := []signing.KeyInfo{
			{ID: "a", Algorithm: signing.ES256, State: A, CreatedAt: t0.Add(-time.Hour), ActivatesAt: t0,
				RetiredAt: t0.Add(2 * time.Hour), UnpublishAt: aUnpublish},
			{ID: "b", Algorithm: signing.ES256, State: N, CreatedAt: t0.Add(-time.Hour), ActivatesAt: t0.Add(2 * time.Hour),
				RetiredAt: t0.Add(2*time.Hour + 10*time.Minute), UnpublishAt: bUnpublish},
			{ID: "c", Algorithm: signing.ES256, State: N, CreatedAt: t0.Add(-time.Hour), ActivatesAt: t0.Add(2*time.Hour + 10*time.Minute)},
		}
		if !slices.Equal(infos, want) {
			t.Fatalf("Describe =\n%+v\nwant\n%+v", infos, want)
		}
	})
	t.Run("input untouched", func(t *testing.T) {
		signing.Describe(keys, t0, tokenTTL)
		for i := range keys {
			if keys[i].ID != input[i].ID {
				t.Fatalf("Describe reordered its input: %v", keys)
			}
		}
	})
}

func TestDescribeTies(t *testing.T) {
	// Same activation: the greater ID wins and the other is retired at once.
	keys := []store.SigningKey{
		{ID: "y", Algorithm: signing.EdDSA, ActivatesAt: t0},
		{ID: "x", Algorithm: signing.EdDSA, ActivatesAt: t0},
	}
	infos := signing.Describe(keys, t0, time.Hour)
	got := map[string]signing.KeyState{}
	for _, in := range infos {
		got[in.ID] = in.State
	}
	if got["x"] != signing.StateRetired || got["y"] != signing.StateActive || infos[0].ID != "x" {
		t.Fatalf("Describe = %+v; want x retired, y active", infos)
	}
}

func TestDescribeEmpty(t *testing.T) {
	if got := signing.Describe(nil, t0, time.Hour); len(got) != 0 {
		t.Fatalf("Describe(nil) = %v", got)
	}
}
