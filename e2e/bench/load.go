package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Bounds of a Load, so that no phase can run away.
const (
	MaxConnections = 256
	MaxDuration    = 5 * time.Minute
	MaxRequests    = 10_000_000
)

// Target is one kind of request.
type Target struct {
	Name   string
	Method string // GET if empty
	URL    string
	Header http.Header
	Body   string // sent as application/x-www-form-urlencoded if not empty
	Status int    // the expected status; 200 if zero
	// Vary, if set, adjusts each request before it is sent (such as to
	// present a different token each time). It is called concurrently.
	Vary func(*http.Request)
	// CPU, if set, reads the CPU time used so far by the server that
	// answers (ProcessCPU), so that the summary gives its CPU time per
	// request.
	CPU func() (time.Duration, error)
	// Do, if set, replaces the single request: one call is one iteration
	// (such as a whole sign-in flow of several requests), a success or
	// an error. Method, Header, Body, Status and Vary are then unused;
	// URL must still name the server it talks to. It is called
	// concurrently.
	Do func(ctx context.Context, c *http.Client) error
}

// Load is how hard, how long and how much to drive a Target.
type Load struct {
	// Connections bounds the requests in flight, and so the connections.
	Connections int
	// Duration is how long to measure. The phase ends at Duration or
	// after MaxRequests requests, whichever comes first.
	Duration    time.Duration
	MaxRequests int
	// Warmup runs before the measured time, unmeasured.
	Warmup time.Duration
	// Rate, if positive, paces the requests (requests per second): each
	// request has a scheduled start, and its latency is counted from that
	// start, so that time spent waiting for a free connection counts
	// too. Zero sends the next request as soon as a connection is free.
	Rate float64
}

func (l Load) check() error {
	switch {
	case l.Connections < 1 || l.Connections > MaxConnections:
		return fmt.Errorf("bench: %d connections, want 1 to %d", l.Connections, MaxConnections)
	case l.Duration <= 0 || l.Duration+l.Warmup > MaxDuration || l.Warmup < 0:
		return fmt.Errorf("bench: duration %s and warm-up %s, want at most %s in all", l.Duration, l.Warmup, MaxDuration)
	case l.MaxRequests < 1 || l.MaxRequests > MaxRequests:
		return fmt.Errorf("bench: %d requests, want 1 to %d", l.MaxRequests, MaxRequests)
	case l.Rate < 0:
		return errors.New("bench: negative rate")
	}
	return nil
}

// CheckLoopback returns an error unless rawURL is an http URL of a
// loopback address (127.0.0.0/8, ::1 or localhost): load is never sent
// anywhere else.
func CheckLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("bench: %q is not an http(s) URL", rawURL)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("bench: %q is not a loopback address; load is only ever sent to this machine", host)
}

// NewClient returns an HTTP client that keeps up to connections
// connections open to each server and never opens more.
func NewClient(connections int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        4 * connections,
			MaxIdleConnsPerHost: connections,
			MaxConnsPerHost:     connections,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Sample is the raw outcome of driving a target: the latency of each
// successful request, the failures, and the time it took.
type Sample struct {
	Latencies []time.Duration
	Errors    int
	Elapsed   time.Duration
	// CPU is the CPU time the server used meanwhile, if the target can
	// read it.
	CPU time.Duration
}

// Add appends o to s, as if both had been one phase.
func (s *Sample) Add(o Sample) {
	s.Latencies = append(s.Latencies, o.Latencies...)
	s.Errors += o.Errors
	s.Elapsed += o.Elapsed
	s.CPU += o.CPU
}

// Summary summarises s under name.
func (s Sample) Summary(name string) Summary {
	sum := Summarize(name, slices.Clone(s.Latencies), s.Errors, s.Elapsed)
	if n := len(s.Latencies) + s.Errors; n > 0 {
		sum.CPU = s.CPU / time.Duration(n)
	}
	return sum
}

// Run drives t with load l through c and summarises the measured part. It
// returns early, with what was measured, if ctx ends.
func Run(ctx context.Context, c *http.Client, t Target, l Load) (Summary, error) {
	s, err := Measure(ctx, c, t, l)
	return s.Summary(t.Name), err
}

// Measure is Run without the summary: the raw sample of the measured part.
func Measure(ctx context.Context, c *http.Client, t Target, l Load) (Sample, error) {
	if err := l.check(); err != nil {
		return Sample{}, err
	}
	if err := CheckLoopback(t.URL); err != nil {
		return Sample{}, err
	}
	if l.Warmup > 0 {
		w := l
		w.Duration, w.Warmup = l.Warmup, 0
		drive(ctx, c, t, w)
	}
	return measured(ctx, c, t, l)
}

// measured is drive, with the server's CPU time read around it when the
// target can.
func measured(ctx context.Context, c *http.Client, t Target, l Load) (Sample, error) {
	if t.CPU == nil {
		return drive(ctx, c, t, l), nil
	}
	before, err := t.CPU()
	if err != nil {
		return Sample{}, err
	}
	s := drive(ctx, c, t, l)
	after, err := t.CPU()
	if err != nil {
		return Sample{}, err
	}
	s.CPU = after - before
	return s, nil
}

// RunAlternating measures targets in turn, each for Duration/slices at a
// time, n times over (in reverse order every other time), after one
// warm-up each: on a machine whose speed varies from second to second, the
// figures of the targets are then taken under the same conditions and can
// be compared.
func RunAlternating(ctx context.Context, c *http.Client, targets []Target, l Load, n int) ([]Summary, error) {
	if n < 1 {
		return nil, fmt.Errorf("bench: %d slices", n)
	}
	if err := l.check(); err != nil {
		return nil, err
	}
	for _, t := range targets {
		if err := CheckLoopback(t.URL); err != nil {
			return nil, err
		}
		if l.Warmup > 0 {
			w := l
			w.Duration, w.Warmup = l.Warmup, 0
			drive(ctx, c, t, w)
		}
	}
	part := l
	part.Duration, part.Warmup = l.Duration/time.Duration(n), 0
	samples := make([]Sample, len(targets))
	for i := range n {
		for j := range targets {
			k := j
			if i%2 == 1 {
				k = len(targets) - 1 - j
			}
			s, err := measured(ctx, c, targets[k], part)
			if err != nil {
				return nil, err
			}
			samples[k].Add(s)
		}
	}
	out := make([]Summary, len(targets))
	for i, s := range samples {
		out[i] = s.Summary(targets[i].Name)
	}
	return out, ctx.Err()
}

// drive runs one phase: Connections workers, each doing one request at a
// time, until the duration is up or the requests are all sent. Requests
// in flight at the end are waited for and counted, so that none leaves
// work behind on the server for the next phase; the elapsed time runs
// until the last one is answered.
func drive(ctx context.Context, c *http.Client, t Target, l Load) Sample {
	start := time.Now()
	deadline := start.Add(l.Duration)
	issuing, stop := context.WithDeadline(ctx, deadline)
	defer stop()
	jobs := make(chan time.Time, l.Connections)
	go schedule(issuing, jobs, start, l)

	results := make([]Sample, l.Connections)
	var wg sync.WaitGroup
	for i := range l.Connections {
		wg.Go(func() {
			r := &results[i]
			for at := range jobs {
				if at.After(deadline) {
					return
				}
				if d := time.Until(at); d > 0 {
					select {
					case <-time.After(d):
					case <-issuing.Done():
						return
					}
				}
				if l.Rate <= 0 {
					at = time.Now()
				}
				if err := do(ctx, c, t); err != nil {
					if ctx.Err() == nil {
						r.Errors++
					}
					continue
				}
				r.Latencies = append(r.Latencies, time.Since(at))
			}
		})
	}
	wg.Wait()
	var s Sample
	for _, r := range results {
		s.Add(r)
	}
	s.Elapsed = time.Since(start)
	return s
}

// schedule hands out the scheduled start of each request, at Rate or as
// fast as the workers take them, until ctx ends or MaxRequests are out.
func schedule(ctx context.Context, jobs chan<- time.Time, start time.Time, l Load) {
	defer close(jobs)
	for i := 0; i < l.MaxRequests; i++ {
		at := start
		if l.Rate > 0 {
			at = start.Add(time.Duration(float64(i) / l.Rate * float64(time.Second)))
		}
		select {
		case jobs <- at:
		case <-ctx.Done():
			return
		}
	}
}

func do(ctx context.Context, c *http.Client, t Target) error {
	if t.Do != nil {
		return t.Do(ctx, c)
	}
	method := t.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if t.Body != "" {
		body = strings.NewReader(t.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.URL, body)
	if err != nil {
		return err
	}
	for k, v := range t.Header {
		req.Header[k] = v
	}
	if t.Body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if t.Vary != nil {
		t.Vary(req)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	want := t.Status
	if want == 0 {
		want = http.StatusOK
	}
	if resp.StatusCode != want {
		return fmt.Errorf("bench: %s answered %d, want %d", t.Name, resp.StatusCode, want)
	}
	return nil
}
