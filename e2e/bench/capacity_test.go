package bench

import (
	"testing"
	"time"
)

func TestCapacity(t *testing.T) {
	if got := Capacity(2, 50*time.Millisecond); got != 40 {
		t.Errorf("Capacity(2, 50ms) = %v, want 40", got)
	}
	if got := Capacity(4, 0); got != 0 {
		t.Errorf("Capacity of a free operation = %v, want 0 (unknown)", got)
	}
}

func TestBcryptTime(t *testing.T) {
	d, err := BcryptTime(4, 3)
	if err != nil || d <= 0 {
		t.Fatalf("BcryptTime = %v, %v", d, err)
	}
	if _, err := BcryptTime(99, 1); err == nil {
		t.Error("cost 99 accepted")
	}
	if _, err := BcryptTime(4, 0); err == nil {
		t.Error("zero repetitions accepted")
	}
}

func TestSignTime(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		d, err := SignTime(alg, 2)
		if err != nil || d <= 0 {
			t.Errorf("SignTime(%s) = %v, %v", alg, d, err)
		}
	}
	if _, err := SignTime("HS256", 1); err == nil {
		t.Error("HS256 accepted")
	}
}
