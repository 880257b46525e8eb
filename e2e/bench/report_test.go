package bench

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

func sampleReport() Report {
	phase := func(name string, rps float64, p50, p99 int) Summary {
		return Summary{Name: name, Requests: int(rps * 3), Throughput: rps, Elapsed: 3 * time.Second,
			P50: time.Duration(p50) * time.Microsecond, P90: time.Duration(p50*2) * time.Microsecond,
			P99: time.Duration(p99) * time.Microsecond, Max: time.Duration(p99*2) * time.Microsecond,
			CPU: time.Duration(p50/10) * time.Microsecond}
	}
	return Report{
		Title: "Performance",
		Intro: "Figures of a <test> run.",
		Goals: []Goal{
			{Key: "search/root", What: "/search ÷ / with the cache", Bound: 0.9, Aim: 0.95},
			{Key: "p99/p50", What: "p99 ÷ p50 at half peak", AtMost: true, Bound: 5},
			{Key: "memory", What: "memory growth", AtMost: true, Bound: 0.1},
		},
		Runs: []RunResult{
			{Phases: []Summary{phase("GET /", 5000, 300, 2000), phase("GET /search", 4700, 320, 2100)},
				Ratios: map[string]float64{"search/root": 0.94, "p99/p50": 3}},
			{Phases: []Summary{phase("GET /", 5200, 290, 1900), phase("GET /search", 4600, 330, 2500)},
				Ratios: map[string]float64{"search/root": 0.88, "p99/p50": 6}},
			{Phases: []Summary{phase("GET /", 5100, 310, 2200), phase("GET /search", 4900, 310, 2000)},
				Ratios: map[string]float64{"search/root": 0.96, "p99/p50": 4, "memory": 0.02},
				Memory: []Memory{{Name: "authserver", Samples: []int64{20 << 20, 21 << 20, 21 << 20, 20 << 20}}}},
		},
		Chart: "performance.svg",
		Notes: "## Where the time goes\n\nSignatures.",
	}
}

func TestReportRatio(t *testing.T) {
	r := sampleReport()
	m, each := r.Ratio("search/root")
	if m != 0.94 || len(each) != 3 {
		t.Errorf("Ratio = %v, %v", m, each)
	}
	m, each = r.Ratio("memory")
	if m != 0.02 || !math.IsNaN(each[0]) {
		t.Errorf("Ratio of a figure one run measured = %v, %v", m, each)
	}
	if m, _ := r.Ratio("absent"); !math.IsNaN(m) {
		t.Errorf("Ratio of an unmeasured figure = %v", m)
	}
}

func TestGoalMet(t *testing.T) {
	least := Goal{Bound: 0.9}
	most := Goal{AtMost: true, Bound: 5}
	for _, tt := range []struct {
		g    Goal
		v    float64
		want bool
	}{
		{least, 0.9, true}, {least, 0.89, false}, {least, math.NaN(), false},
		{most, 5, true}, {most, 5.01, false}, {most, math.NaN(), false},
	} {
		if got := tt.g.Met(tt.v); got != tt.want {
			t.Errorf("%+v.Met(%v) = %v", tt.g, tt.v, got)
		}
	}
}

func TestReportMarkdown(t *testing.T) {
	golden(t, "report.md", sampleReport().Markdown())
}

func TestReportSVG(t *testing.T) {
	svg := sampleReport().SVG()
	golden(t, "chart.svg", svg)
	// Well-formed XML with an svg root, and the labels escaped.
	d := xml.NewDecoder(strings.NewReader(svg))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("root element %q", root)
	}
	weird := Report{Runs: []RunResult{{Phases: []Summary{{Name: `a<b & "c"`, Throughput: 1}}}}}.SVG()
	if !bytes.Contains([]byte(weird), []byte("a&lt;b &amp; &quot;c&quot;")) {
		t.Errorf("label not escaped:\n%s", weird)
	}
}
