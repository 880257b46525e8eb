package bench

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 100) of sorted, by the
// nearest-rank method: the smallest value such that at least p percent of
// the values are no greater. It is 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Median returns the median of xs (the mean of the two middle values of an
// even count), ignoring NaNs; NaN if there is no value.
func Median(xs []float64) float64 {
	v := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// Summary is what one load phase measured.
type Summary struct {
	Name       string
	Requests   int           // answered with the expected status
	Errors     int           // failed, or answered with another status
	Elapsed    time.Duration // measured time
	Throughput float64       // Requests per second of Elapsed
	P50        time.Duration
	P90        time.Duration
	P99        time.Duration
	Max        time.Duration
	// CPU is the server's CPU time per request (answered or not), when
	// the target could read it; zero otherwise.
	CPU time.Duration
}

// Summarize computes the summary of latencies (of the successful
// requests; it sorts them in place) measured over elapsed.
func Summarize(name string, latencies []time.Duration, errors int, elapsed time.Duration) Summary {
	slices.Sort(latencies)
	s := Summary{
		Name:     name,
		Requests: len(latencies),
		Errors:   errors,
		Elapsed:  elapsed,
		P50:      Percentile(latencies, 50),
		P90:      Percentile(latencies, 90),
		P99:      Percentile(latencies, 99),
	}
	if len(latencies) > 0 {
		s.Max = latencies[len(latencies)-1]
	}
	if elapsed > 0 {
		s.Throughput = float64(len(latencies)) / elapsed.Seconds()
	}
	return s
}
