package bench

import (
	"math"
	"testing"
	"time"
)

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p90 of 1..100", hundred, 90, 90 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p100 of 1..100", hundred, 100, 100 * time.Millisecond},
		{"tiny p is the minimum", hundred, 0.001, time.Millisecond},
		{"p50 of four is the second", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of ten is the maximum", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
		{"one", []float64{9}, 9},
		{"NaNs ignored", []float64{nan, 5, nan, 1, 3}, 3},
		{"empty", nil, nan},
		{"only NaN", []float64{nan}, nan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Median(tt.xs)
			if got != tt.want && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
				t.Errorf("Median(%v) = %v, want %v", tt.xs, got, tt.want)
			}
		})
	}
	xs := []float64{3, 1, 2}
	Median(xs)
	if xs[0] != 3 {
		t.Error("Median reordered its argument")
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize("x", ms(5, 1, 4, 2, 3), 2, 2*time.Second)
	want := Summary{Name: "x", Requests: 5, Errors: 2, Elapsed: 2 * time.Second, Throughput: 2.5,
		P50: 3 * time.Millisecond, P90: 5 * time.Millisecond, P99: 5 * time.Millisecond, Max: 5 * time.Millisecond}
	if s != want {
		t.Errorf("Summarize = %+v, want %+v", s, want)
	}
	if z := Summarize("none", nil, 3, 0); z.Throughput != 0 || z.P99 != 0 || z.Errors != 3 {
		t.Errorf("Summarize of nothing = %+v", z)
	}
}

func TestSampleAdd(t *testing.T) {
	var s Sample
	s.Add(Sample{Latencies: ms(3, 1), Errors: 1, Elapsed: time.Second, CPU: 4 * time.Millisecond})
	s.Add(Sample{Latencies: ms(2), Errors: 2, Elapsed: time.Second, CPU: 2 * time.Millisecond})
	sum := s.Summary("x")
	if sum.Requests != 3 || sum.Errors != 3 || sum.Elapsed != 2*time.Second || sum.Throughput != 1.5 || sum.P50 != 2*time.Millisecond ||
		sum.CPU != time.Millisecond {
		t.Errorf("summary %+v", sum)
	}
	if s.Latencies[0] != 3*time.Millisecond {
		t.Error("Summary sorted the sample's latencies in place")
	}
}
