package bench

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Goal is a ratio the system must reach, with the side it must be on.
type Goal struct {
	Key    string  // names the ratio in RunResult.Ratios
	What   string  // what the ratio is, for the report
	AtMost bool    // the ratio must be at most Bound, rather than at least
	Bound  float64 // the goal
	Aim    float64 // a better mark to aim for, if not zero
}

// Met reports whether v meets the goal.
func (g Goal) Met(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if g.AtMost {
		return v <= g.Bound
	}
	return v >= g.Bound
}

func (g Goal) target() string {
	op := "≥"
	if g.AtMost {
		op = "≤"
	}
	s := op + " " + num(g.Bound)
	if g.Aim != 0 {
		s += " (aim " + num(g.Aim) + ")"
	}
	return s
}

// RunResult is what one complete measurement found.
type RunResult struct {
	Phases []Summary
	Ratios map[string]float64
	Memory []Memory // sustained-run memory, if this run measured it
}

// Report is the figures of several runs and how they compare with the
// goals.
type Report struct {
	Title string
	// Intro is Markdown put under the title: how the figures were made.
	Intro string
	Goals []Goal
	Runs  []RunResult
	// Chart is the file name of the SVG chart, linked from the report.
	Chart string
	// Notes is Markdown appended at the end: where the time goes.
	Notes string
}

// Ratio returns the median over the runs of the ratio named key, and the
// value of each run (NaN where a run did not measure it).
func (r Report) Ratio(key string) (median float64, each []float64) {
	for _, run := range r.Runs {
		v, ok := run.Ratios[key]
		if !ok {
			v = math.NaN()
		}
		each = append(each, v)
	}
	return Median(each), each
}

// phaseMedians returns, per phase name in the order first seen, the
// median of each figure over the runs.
func (r Report) phaseMedians() []Summary {
	var names []string
	by := map[string][]Summary{}
	for _, run := range r.Runs {
		for _, p := range run.Phases {
			if _, ok := by[p.Name]; !ok {
				names = append(names, p.Name)
			}
			by[p.Name] = append(by[p.Name], p)
		}
	}
	out := make([]Summary, 0, len(names))
	for _, n := range names {
		ps := by[n]
		f := func(get func(Summary) float64) float64 {
			xs := make([]float64, len(ps))
			for i, p := range ps {
				xs[i] = get(p)
			}
			return Median(xs)
		}
		d := func(get func(Summary) time.Duration) time.Duration {
			return time.Duration(f(func(s Summary) float64 { return float64(get(s)) }))
		}
		out = append(out, Summary{
			Name:       n,
			Requests:   int(f(func(s Summary) float64 { return float64(s.Requests) })),
			Errors:     int(f(func(s Summary) float64 { return float64(s.Errors) })),
			Throughput: f(func(s Summary) float64 { return s.Throughput }),
			P50:        d(func(s Summary) time.Duration { return s.P50 }),
			P90:        d(func(s Summary) time.Duration { return s.P90 }),
			P99:        d(func(s Summary) time.Duration { return s.P99 }),
			Max:        d(func(s Summary) time.Duration { return s.Max }),
			CPU:        d(func(s Summary) time.Duration { return s.CPU }),
		})
	}
	return out
}

// Markdown renders the report.
func (r Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	if r.Intro != "" {
		b.WriteString(strings.TrimSpace(r.Intro) + "\n\n")
	}

	fmt.Fprintf(&b, "## Goals\n\nMedians of %d runs; each run's figure follows, in order.\n\n", len(r.Runs))
	b.WriteString("| ratio | goal | median | runs | met |\n|---|---|---|---|---|\n")
	for _, g := range r.Goals {
		m, each := r.Ratio(g.Key)
		runs := make([]string, len(each))
		for i, v := range each {
			runs[i] = num(v)
		}
		met := "no"
		if g.Met(m) {
			met = "yes"
		}
		if math.IsNaN(m) {
			met = "not measured"
		}
		fmt.Fprintf(&b, "| %s | %s | **%s** | %s | %s |\n", g.What, g.target(), num(m), strings.Join(runs, ", "), met)
	}

	b.WriteString("\n## Endpoints\n\nMedians over the runs of each phase's throughput and latency percentiles.\n\n")
	b.WriteString("| phase | req/s | p50 | p90 | p99 | max | errors | server CPU per request |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range r.phaseMedians() {
		cpu := "–"
		if p.CPU > 0 {
			cpu = num(float64(p.CPU)/float64(time.Microsecond)) + " µs"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %d | %s |\n", p.Name, num(p.Throughput),
			dur(p.P50), dur(p.P90), dur(p.P99), dur(p.Max), p.Errors, cpu)
	}
	if r.Chart != "" {
		fmt.Fprintf(&b, "\n![Throughput and p99 latency per phase](%s)\n", r.Chart)
	}

	var mem []Memory
	for _, run := range r.Runs {
		mem = append(mem, run.Memory...)
	}
	if len(mem) > 0 {
		b.WriteString("\n## Memory\n\nResident memory (VmRSS) sampled every second over the sustained run; growth is the peak of the last quarter over the first sample.\n\n")
		b.WriteString("| process | samples | first | last | peak | growth |\n|---|---:|---:|---:|---:|---:|\n")
		for _, m := range mem {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %+.1f%% |\n", m.Name, len(m.Samples),
				mib(m.First()), mib(m.Last()), mib(m.Peak()), 100*m.Growth())
		}
	}
	if r.Notes != "" {
		b.WriteString("\n" + strings.TrimSpace(r.Notes) + "\n")
	}
	return b.String()
}

// num formats a figure with three significant digits, or "–" for NaN.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// dur formats a latency in milliseconds.
func dur(d time.Duration) string {
	return num(float64(d)/float64(time.Millisecond)) + " ms"
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// SVG renders the chart of the report: throughput and p99 latency of each
// phase (medians over the runs), as two bar charts side by side. It is
// plain SVG 1.1 text.
func (r Report) SVG() string {
	phases := r.phaseMedians()
	const (
		rowH   = 22
		top    = 50
		labelW = 320
		barW   = 260
		panelW = labelW + barW + 90
	)
	h := top + rowH*len(phases) + 20
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		2*panelW, h, 2*panelW, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", 2*panelW, h)
	panel := func(x0 int, title, color string, value func(Summary) float64, label func(Summary) string) {
		fmt.Fprintf(&b, `<text x="%d" y="24" font-size="14" font-weight="bold">%s</text>`+"\n", x0+10, xmlEscape(title))
		peak := 0.0
		for _, p := range phases {
			peak = max(peak, value(p))
		}
		for i, p := range phases {
			y := top + i*rowH
			// A logarithmic scale: the figures span several orders of
			// magnitude (a password grant against a public page).
			w := 0
			if peak > 0 {
				w = int(math.Round(math.Log1p(value(p)) / math.Log1p(peak) * barW))
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", x0+labelW-6, y+14, xmlEscape(p.Name))
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n", x0+labelW, y+3, w, rowH-6, color)
			fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", x0+labelW+w+4, y+14, xmlEscape(label(p)))
		}
	}
	panel(0, "Throughput (requests per second, log scale)", "#3b7dd8",
		func(s Summary) float64 { return s.Throughput },
		func(s Summary) string { return num(s.Throughput) })
	panel(panelW, "p99 latency (milliseconds, log scale)", "#d8703b",
		func(s Summary) float64 { return float64(s.P99) / float64(time.Millisecond) },
		func(s Summary) string { return dur(s.P99) })
	b.WriteString("</svg>\n")
	return b.String()
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// SortedKeys returns the keys of m in order.
func SortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
