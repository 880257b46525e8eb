package bench

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name, stat string
		want       time.Duration
		ok         bool
	}{
		{"ordinary", "1234 (authserver) S 1 1234 1234 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 7 0 100 0 0", 3 * time.Second, true},
		{"name with spaces and parentheses", "1 (a (b) c) R 1 1 1 0 -1 0 0 0 0 0 7 3 0 0", 100 * time.Millisecond, true},
		{"short", "1 (x) S 1 2 3", 0, false},
		{"no name", "garbage", 0, false},
		{"not a number", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 3 0 0", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU(tt.stat)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseStatCPU = %v, %v; want %v, ok %v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestProcessCPUOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, err := ProcessCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if _, err := ProcessCPU(-1); err == nil {
		t.Error("CPU time of no process")
	}
}

func TestCPUPerOp(t *testing.T) {
	spin := func() error {
		for start := time.Now(); time.Since(start) < 2*time.Millisecond; {
		}
		return nil
	}
	d, err := CPUPerOp(5, spin)
	if err != nil {
		t.Fatal(err)
	}
	// Spinning for 2ms of wall time uses at most 2ms of CPU (a little
	// more for the clock reads), and some.
	if d <= 0 || d > 50*time.Millisecond {
		t.Errorf("CPUPerOp = %v for 2ms of spinning", d)
	}
	if _, err := CPUPerOp(1, func() error { return errors.New("boom") }); err == nil {
		t.Error("the operation's error was lost")
	}
	if _, err := CPUPerOp(0, spin); err == nil {
		t.Error("zero repetitions accepted")
	}
}
