package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
)

// Suite is the goals and runs of one configuration of the servers (one
// signing algorithm), saved by one load generator process so that a
// later one can put several in one report.
type Suite struct {
	// Name tells the configuration apart in the report, such as "RS256".
	Name  string
	Goals []Goal
	Runs  []RunResult
	// Intro is Markdown describing how the figures were made.
	Intro string
}

// Save writes s to path as JSON. Ratios that are not numbers (a run that
// could not measure them) are left out: Report.Ratio reads a missing
// ratio as not measured.
func (s Suite) Save(path string) error {
	out := s
	out.Runs = make([]RunResult, len(s.Runs))
	for i, r := range s.Runs {
		out.Runs[i] = r
		out.Runs[i].Ratios = make(map[string]float64, len(r.Ratios))
		for k, v := range r.Ratios {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				out.Runs[i].Ratios[k] = v
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// LoadSuite reads a Suite written by Save.
func LoadSuite(path string) (Suite, error) {
	var s Suite
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("bench: %s: %w", path, err)
	}
	return s, nil
}

// Combine puts suites in one report: each goal, phase and memory row is
// named with its suite's name (when there is more than one suite), and
// run i of the report holds run i of every suite.
func Combine(title string, suites []Suite) Report {
	r := Report{Title: title}
	tag := func(s Suite, name string) string {
		if len(suites) < 2 {
			return name
		}
		return s.Name + ": " + name
	}
	for _, s := range suites {
		for _, g := range s.Goals {
			g.Key, g.What = tag(s, g.Key), tag(s, g.What)
			r.Goals = append(r.Goals, g)
		}
		for i, run := range s.Runs {
			for len(r.Runs) <= i {
				r.Runs = append(r.Runs, RunResult{Ratios: map[string]float64{}})
			}
			to := &r.Runs[i]
			for _, p := range run.Phases {
				p.Name = tag(s, p.Name)
				to.Phases = append(to.Phases, p)
			}
			for k, v := range run.Ratios {
				to.Ratios[tag(s, k)] = v
			}
			for _, m := range run.Memory {
				m.Name = tag(s, m.Name)
				to.Memory = append(to.Memory, m)
			}
		}
	}
	return r
}
