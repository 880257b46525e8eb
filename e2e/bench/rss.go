package bench

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// RSS returns the resident set size of process pid, in bytes, from the
// VmRSS line of /proc/<pid>/status (Linux).
func RSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseVmRSS(bufio.NewScanner(f))
}

func parseVmRSS(sc *bufio.Scanner) (int64, error) {
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != "VmRSS" {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("bench: unexpected VmRSS line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: VmRSS: %w", err)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("bench: no VmRSS line")
}

// Memory is the resident memory of one process over a sustained run.
type Memory struct {
	Name    string
	Samples []int64 // bytes, in order
}

// Growth is how much the resident memory grew over the run, as a
// fraction of its start: the peak of the last quarter of the samples over
// the first sample, less one. A process whose memory is flat grows by a
// few percent at most, whatever the length of the run.
func (m Memory) Growth() float64 {
	if len(m.Samples) < 2 || m.Samples[0] <= 0 {
		return 0
	}
	tail := m.Samples[len(m.Samples)*3/4:]
	peak := tail[0]
	for _, s := range tail {
		peak = max(peak, s)
	}
	return float64(peak)/float64(m.Samples[0]) - 1
}

// First and Last are the first and last samples, Peak the largest.
func (m Memory) First() int64 { return at(m.Samples, 0) }
func (m Memory) Last() int64  { return at(m.Samples, len(m.Samples)-1) }
func (m Memory) Peak() int64 {
	var p int64
	for _, s := range m.Samples {
		p = max(p, s)
	}
	return p
}

func at(s []int64, i int) int64 {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}
