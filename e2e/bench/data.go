package bench

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Section renders r as a section of a larger document: its title one
// level down (##) and every heading under it one level further, so that it
// can be appended to the report of make bench.
func (r Report) Section() string {
	md := r.Markdown()
	md = strings.ReplaceAll("\n"+md, "\n#", "\n##")
	return strings.TrimPrefix(md, "\n")
}

// SizeSample is the size of a database at one moment of a sustained run.
type SizeSample struct {
	At    time.Duration // since the run started
	Bytes int64
}

// SizeSeries is how a database's size went over a sustained run.
type SizeSeries struct {
	Name    string
	Samples []SizeSample
}

// Growth is how much the database grew over the second half of the run:
// the peak of the last quarter of the samples over the peak of the second
// quarter, minus one; near zero once the cleanup keeps pace with the
// writes. Peaks, so that a write-ahead log emptied by a checkpoint now and
// then does not count as shrinking. NaN with fewer than four samples.
func (s SizeSeries) Growth() float64 {
	n := len(s.Samples)
	if n < 4 {
		return math.NaN()
	}
	q := n / 4
	peak := func(xs []SizeSample) int64 {
		var m int64
		for _, x := range xs {
			m = max(m, x.Bytes)
		}
		return m
	}
	mid := peak(s.Samples[q : 2*q])
	if mid == 0 {
		return math.NaN()
	}
	return float64(peak(s.Samples[n-q:])-mid) / float64(mid)
}

// SizeTable renders the series side by side, one row per sample time (the
// series must have been sampled at the same moments), with each series'
// growth over the second half below.
func SizeTable(series []SizeSeries) string {
	if len(series) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("| time |")
	for _, s := range series {
		fmt.Fprintf(&b, " %s |", s.Name)
	}
	b.WriteString("\n|---:|" + strings.Repeat("---:|", len(series)) + "\n")
	for i, at := range series[0].Samples {
		fmt.Fprintf(&b, "| %s |", at.At.Round(time.Second))
		for _, s := range series {
			v := "–"
			if i < len(s.Samples) {
				v = mib(s.Samples[i].Bytes)
			}
			fmt.Fprintf(&b, " %s |", v)
		}
		b.WriteString("\n")
	}
	b.WriteString("| growth, second half |")
	for _, s := range series {
		fmt.Fprintf(&b, " %+.1f%% |", 100*s.Growth())
	}
	b.WriteString("\n")
	return b.String()
}
