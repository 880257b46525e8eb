package signing_test

import (
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/signing"
)

func TestStats(t *testing.T) {
	clk := newClock(t0)
	ks := newMemStore(
		fixture(t, signing.ES256, "k1", t0.Add(-time.Hour)),
		fixture(t, signing.ES256, "k2", t0.Add(-10*time.Minute)),
		fixture(t, signing.ES256, "k3", t0.Add(10*time.Minute)),
	)
	k := newKeyring(t, ks, clk, signing.ES256)
	tests := []struct {
		at   time.Time
		want signing.Stats
	}{
		{t0, signing.Stats{Next: 1, Active: 1, Retired: 1, ActiveSince: t0.Add(-10 * time.Minute), NextActivation: t0.Add(10 * time.Minute)}},
		{t0.Add(11 * time.Minute), signing.Stats{Active: 1, Retired: 2, ActiveSince: t0.Add(10 * time.Minute)}},
	}
	for _, tt := range tests {
		t.Run(tt.at.Format(time.TimeOnly), func(t *testing.T) {
			clk.Set(tt.at)
			got := k.Stats()
			if got.Next != tt.want.Next || got.Active != tt.want.Active || got.Retired != tt.want.Retired ||
				!got.ActiveSince.Equal(tt.want.ActiveSince) || !got.NextActivation.Equal(tt.want.NextActivation) {
				t.Errorf("Stats() = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := signing.NewKeyring(ks, signing.Options{Now: clk.Now}).Stats(); got != (signing.Stats{}) {
		t.Errorf("Stats() before Load = %+v, want zero", got)
	}
}
