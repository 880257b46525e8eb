package bench

import (
	"math"
	"strings"
	"testing"
	"time"
)

func series(sizes ...int64) SizeSeries {
	s := SizeSeries{Name: "db"}
	for i, b := range sizes {
		s.Samples = append(s.Samples, SizeSample{At: time.Duration(i) * time.Second, Bytes: b})
	}
	return s
}

func TestSizeSeriesGrowth(t *testing.T) {
	tests := []struct {
		name  string
		s     SizeSeries
		want  float64
		isNaN bool
	}{
		{name: "flat", s: series(1, 100, 100, 100, 100, 100, 100, 100), want: 0},
		{name: "growing", s: series(1, 100, 100, 100, 110, 120, 150, 150), want: 0.5},
		{name: "a checkpoint's dip does not count", s: series(1, 100, 100, 100, 100, 100, 40, 100), want: 0},
		{name: "too few samples", s: series(1, 2, 3), isNaN: true},
		{name: "empty at the middle", s: series(0, 0, 0, 0, 5, 5, 5, 5), isNaN: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.Growth()
			if tt.isNaN != math.IsNaN(got) || (!tt.isNaN && math.Abs(got-tt.want) > 1e-9) {
				t.Fatalf("Growth() = %v, want %v (NaN %v)", got, tt.want, tt.isNaN)
			}
		})
	}
}

func TestSizeTable(t *testing.T) {
	got := SizeTable([]SizeSeries{series(1<<20, 2<<20, 2<<20, 2<<20)})
	want := "| time | db |\n|---:|---:|\n| 0s | 1.0 MiB |\n| 1s | 2.0 MiB |\n| 2s | 2.0 MiB |\n| 3s | 2.0 MiB |\n| growth, second half | +0.0% |\n"
	if got != want {
		t.Fatalf("SizeTable =\n%s\nwant\n%s", got, want)
	}
	if SizeTable(nil) != "" {
		t.Fatal("SizeTable of nothing is not empty")
	}
}

func TestReportSection(t *testing.T) {
	r := Report{Title: "Data growth", Goals: []Goal{{Key: "k", What: "a ratio", AtMost: true, Bound: 1.2}},
		Runs: []RunResult{{Ratios: map[string]float64{"k": 1.1}}}}
	md := r.Section()
	if !strings.HasPrefix(md, "## Data growth\n") || !strings.Contains(md, "\n### Goals\n") || strings.Contains(md, "\n# ") {
		t.Fatalf("Section() headings not one level down:\n%s", md)
	}
	if !strings.Contains(md, "| a ratio | ≤ 1.20 | **1.10** | 1.10 | yes |") {
		t.Fatalf("Section() lacks the goal row:\n%s", md)
	}
}
