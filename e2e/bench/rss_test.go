package bench

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name, status string
		want         int64
		ok           bool
	}{
		{"ordinary", "Name:\tauthserver\nVmPeak:\t  900 kB\nVmRSS:\t   12345 kB\nThreads:\t7\n", 12345 << 10, true},
		{"no line", "Name:\tx\n", 0, false},
		{"bad unit", "VmRSS:\t12 MB\n", 0, false},
		{"bad number", "VmRSS:\tlots kB\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVmRSS(bufio.NewScanner(strings.NewReader(tt.status)))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseVmRSS = %d, %v; want %d, ok %v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestRSSOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	n, err := RSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if n < 1<<20 || n > 1<<40 {
		t.Errorf("RSS = %d bytes, not the size of a Go test process", n)
	}
	if _, err := RSS(-1); err == nil {
		t.Error("RSS of no process succeeded")
	}
}

func TestMemoryGrowth(t *testing.T) {
	tests := []struct {
		name    string
		samples []int64
		want    float64
	}{
		{"flat", []int64{100, 101, 99, 100, 100, 100, 100, 100}, 0},
		{"noise in the tail", []int64{100, 100, 100, 100, 100, 100, 104, 102}, 0.04},
		{"grows", []int64{100, 120, 140, 160, 180, 200, 220, 240}, 1.4},
		{"early peak forgiven", []int64{100, 300, 100, 100, 100, 100, 100, 100}, 0},
		{"one sample", []int64{100}, 0},
		{"none", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Memory{Samples: tt.samples}
			if got := m.Growth(); got < tt.want-1e-9 || got > tt.want+1e-9 {
				t.Errorf("Growth = %v, want %v", got, tt.want)
			}
		})
	}
	m := Memory{Samples: []int64{5, 9, 7}}
	if m.First() != 5 || m.Last() != 7 || m.Peak() != 9 {
		t.Errorf("First, Last, Peak = %d, %d, %d", m.First(), m.Last(), m.Peak())
	}
	if (Memory{}).Last() != 0 {
		t.Error("Last of no samples")
	}
}
