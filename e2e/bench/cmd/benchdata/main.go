package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fastsafe/fastsafe/e2e/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// seeded is what bin/benchseed put in one database, and where it is served.
type seeded struct {
	url                    string
	users, clients, tokens int
}

// options are the flags of both subcommands.
type options struct {
	title, setup, out            string
	small, big                   seeded
	userFmt, clientFmt, tokenFmt string
	password, secret             string
	runs, slices                 int
	phase                        time.Duration
	rate, passwordRate           float64
	// sustain
	duration, every time.Duration
	size            string
	chain, conns    int
	sustainRate     float64
	// requests
	op         string
	n, tokens0 int
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "latency" && args[0] != "sustain" && args[0] != "requests") {
		fmt.Fprintln(stderr, "usage: benchdata latency|sustain|requests [flags]")
		return 2
	}
	var o options
	fs := flag.NewFlagSet("benchdata "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.title, "title", "Data growth", "title of the section appended to -out")
	fs.StringVar(&o.setup, "setup", "", "Markdown describing how the servers were started, for the report")
	fs.StringVar(&o.out, "out", "", "Markdown `file` to append the section to; standard output if empty")
	fs.StringVar(&o.small.url, "small", "", "`URL` of the server on the small database (latency)")
	fs.StringVar(&o.big.url, "big", "", "`URL` of the server on the big database (latency), or the one server (sustain)")
	for _, d := range []struct {
		name string
		s    *seeded
	}{{"small", &o.small}, {"big", &o.big}} {
		fs.IntVar(&d.s.users, d.name+"-users", 10, "users seeded in the "+d.name+" database")
		fs.IntVar(&d.s.clients, d.name+"-clients", 10, "clients seeded in the "+d.name+" database")
		fs.IntVar(&d.s.tokens, d.name+"-tokens", 0, "refresh tokens seeded in the "+d.name+" database")
	}
	fs.StringVar(&o.userFmt, "user-format", "", "Printf `format` of seeded user i's name, as given to benchseed")
	fs.StringVar(&o.clientFmt, "client-format", "", "Printf `format` of seeded client i's ID, as given to benchseed")
	fs.StringVar(&o.tokenFmt, "token-format", "", "Printf `format` of seeded refresh token i's value, as given to benchseed")
	fs.IntVar(&o.runs, "runs", 3, "runs; the report gives medians")
	fs.IntVar(&o.slices, "slices", 4, "how many times per run the measurement alternates between the servers")
	fs.DurationVar(&o.phase, "phase", 4*time.Second, "measured time of each operation on each server, per run")
	fs.Float64Var(&o.rate, "rate", 50, "requests per second of each operation but the password grant")
	fs.Float64Var(&o.passwordRate, "password-rate", 8, "password grants per second (each a bcrypt compare)")
	fs.DurationVar(&o.duration, "duration", 90*time.Second, "length of the sustained run")
	fs.DurationVar(&o.every, "every", 5*time.Second, "how often the sustained run samples the database's size")
	fs.StringVar(&o.size, "size", "", "shell `command` that prints the database's size in bytes (sustain)")
	fs.IntVar(&o.chain, "chain", 20, "refresh grants that follow each password grant (sustain)")
	fs.IntVar(&o.conns, "connections", 4, "concurrent chains (sustain)")
	fs.Float64Var(&o.sustainRate, "sustain-rate", 100, "grants per second of all the chains together, paced (sustain)")
	fs.StringVar(&o.op, "op", "", "operation to send -n times, one at a time, to -big (requests): password, refresh_token, client_credentials, introspect or revoke")
	fs.IntVar(&o.n, "n", 100, "how many requests (requests)")
	fs.IntVar(&o.tokens0, "first-token", 0, "number of the first seeded refresh token that refresh_token and revoke use (requests)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	o.password, o.secret = getenv("BENCHSEED_PASSWORD"), getenv("BENCHSEED_CLIENT_SECRET")
	e := env{o: o, client: bench.NewClient(64)}
	var (
		md  string
		err error
	)
	if err = o.check(args[0]); err == nil {
		switch args[0] {
		case "latency":
			md, err = e.latency(ctx, stdout)
		case "requests":
			err = e.requests(ctx)
			o.out = "-"
		default:
			md, err = e.sustain(ctx, stdout)
		}
	}
	if err == nil && o.out != "-" {
		err = write(o.out, md, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "benchdata:", err)
		return 1
	}
	return 0
}

func (o options) check(mode string) error {
	var errs []error
	urls := []string{o.big.url}
	if mode == "latency" {
		urls = append(urls, o.small.url)
	}
	for _, u := range urls {
		if err := bench.CheckLoopback(u); err != nil {
			errs = append(errs, err)
		}
	}
	if o.userFmt == "" || o.clientFmt == "" || o.tokenFmt == "" {
		errs = append(errs, errors.New("-user-format, -client-format and -token-format are required"))
	}
	if o.password == "" || o.secret == "" {
		errs = append(errs, errors.New("BENCHSEED_PASSWORD and BENCHSEED_CLIENT_SECRET must be set"))
	}
	if o.runs < 1 || o.runs > 20 || o.slices < 1 {
		errs = append(errs, errors.New("-runs must be from 1 to 20, -slices at least 1"))
	}
	if mode == "sustain" && (o.size == "" || o.every <= 0 || o.duration <= 0 || o.conns < 1 || o.sustainRate <= 0) {
		errs = append(errs, errors.New("sustain needs -size, and positive -every, -duration, -connections and -sustain-rate"))
	}
	return errors.Join(errs...)
}

// requests sends -n requests of -op to -big, one at a time.
func (e env) requests(ctx context.Context) error {
	for _, op := range e.operations() {
		if op.key != e.o.op {
			continue
		}
		var counter atomic.Int64
		counter.Store(int64(e.o.tokens0))
		s, err := bench.Measure(ctx, e.client, e.target(op, &e.o.big, "", &counter),
			bench.Load{Connections: 1, Duration: bench.MaxDuration, MaxRequests: e.o.n})
		if err == nil && s.Errors > 0 {
			err = fmt.Errorf("%s: %d of %d requests failed", op.name, s.Errors, e.o.n)
		}
		return err
	}
	return fmt.Errorf("unknown -op %q", e.o.op)
}

func write(path, md string, stdout io.Writer) error {
	if path == "" {
		_, err := io.WriteString(stdout, md)
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, "\n"+md); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type env struct {
	o      options
	client *http.Client
}

func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// operation is one kind of request on a seeded database.
type operation struct {
	key  string // names it to -op
	name string
	path string
	rate float64
	// form returns the request of seeded record numbers: a client, and
	// a user or a token, chosen by next.
	form func(s *seeded, next func() int) (client int, body url.Values)
}

func (e env) operations() []operation {
	o := e.o
	return []operation{
		{"password", "password grant", "/token", o.passwordRate, func(s *seeded, _ func() int) (int, url.Values) {
			u := rand.IntN(s.users)
			return rand.IntN(s.clients), url.Values{"grant_type": {"password"}, "username": {fmt.Sprintf(o.userFmt, u)},
				"password": {o.password}, "scope": {"search"}}
		}},
		{"refresh_token", "refresh_token grant", "/token", o.rate, func(s *seeded, next func() int) (int, url.Values) {
			i := next()
			return i % s.clients, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fmt.Sprintf(o.tokenFmt, i)}}
		}},
		{"client_credentials", "client_credentials grant", "/token", o.rate, func(s *seeded, _ func() int) (int, url.Values) {
			return rand.IntN(s.clients), url.Values{"grant_type": {"client_credentials"}, "scope": {"search"}}
		}},
		{"introspect", "/introspect (refresh token)", "/introspect", o.rate, func(s *seeded, _ func() int) (int, url.Values) {
			// A random token of the middle half: refresh grants spend
			// tokens from the first, revocations from the last, and an
			// introspection of a spent token, answered inactive, costs
			// less than one of a live token; on the small database they
			// would otherwise be a large share of those introspected.
			i := s.tokens/4 + rand.IntN(max(s.tokens/2, 1))
			return i % s.clients, url.Values{"token": {fmt.Sprintf(o.tokenFmt, i)}}
		}},
		{"revoke", "/revoke (refresh token)", "/revoke", o.rate, func(s *seeded, next func() int) (int, url.Values) {
			i := s.tokens - 1 - next()
			return i % s.clients, url.Values{"token": {fmt.Sprintf(o.tokenFmt, i)}}
		}},
	}
}

// target makes the Target of op on s; each request takes the next seeded
// token from the counter of that kind of request, so that none is used
// twice.
func (e env) target(op operation, s *seeded, label string, counter *atomic.Int64) bench.Target {
	next := func() int { return int(counter.Add(1) - 1) }
	return bench.Target{
		Name: op.name + ", " + label, Method: http.MethodPost, URL: s.url + op.path, Body: "-",
		Vary: func(r *http.Request) {
			c, body := op.form(s, next)
			r.Header.Set("Authorization", basicAuth(fmt.Sprintf(e.o.clientFmt, c), e.o.secret))
			enc := body.Encode()
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(enc)), int64(len(enc))
		},
	}
}

func (e env) latency(ctx context.Context, stdout io.Writer) (string, error) {
	o := e.o
	label := func(s seeded) string { return fmt.Sprintf("%s users", count(s.users)) }
	report := bench.Report{Title: o.title, Intro: intro(o)}
	ops := e.operations()
	counters := make([][2]atomic.Int64, len(ops))
	for _, op := range ops {
		for _, q := range []string{"p50", "p99"} {
			report.Goals = append(report.Goals, bench.Goal{Key: op.name + " " + q, AtMost: true, Bound: 1.2,
				What: op.name + ": " + q + " with " + label(o.big) + " ÷ with " + label(o.small)})
		}
	}
	for r := range o.runs {
		fmt.Fprintf(stdout, "== %s: run %d of %d\n", o.title, r+1, o.runs)
		res := bench.RunResult{Ratios: map[string]float64{}}
		for i, op := range ops {
			targets := []bench.Target{e.target(op, &o.small, label(o.small), &counters[i][0]), e.target(op, &o.big, label(o.big), &counters[i][1])}
			l := bench.Load{Connections: 32, Duration: o.phase, MaxRequests: bench.MaxRequests, Warmup: 200 * time.Millisecond, Rate: op.rate}
			sums, err := bench.RunAlternating(ctx, e.client, targets, l, o.slices)
			if err != nil {
				return "", err
			}
			for _, s := range sums {
				fmt.Fprintf(stdout, "%-45s %6.1f/s p50 %-10s p99 %-10s errors %d\n", s.Name, s.Throughput, s.P50, s.P99, s.Errors)
			}
			res.Phases = append(res.Phases, sums...)
			res.Ratios[op.name+" p50"] = ratio(sums[1].P50, sums[0].P50)
			res.Ratios[op.name+" p99"] = ratio(sums[1].P99, sums[0].P99)
			if sums[0].Errors+sums[1].Errors > 0 {
				res.Ratios[op.name+" p50"], res.Ratios[op.name+" p99"] = math.NaN(), math.NaN()
			}
		}
		report.Runs = append(report.Runs, res)
	}
	return report.Section(), nil
}

func intro(o options) string {
	return fmt.Sprintf(`Latency of each operation at a fixed rate (open loop: %g password grants/s, %g/s of each other operation, so that it is the cost of one request and not queueing), on two authorization servers with the same settings: one on a small database (%s users, %s clients, %s refresh tokens) and one on a big one (%s users, %s clients, %s live refresh tokens), seeded by `+"`bin/benchseed`"+`. Each run measures every operation %s on each server, alternating between them %d times so that both see the same machine. Grants and requests use seeded users and clients chosen at random; each refresh and revocation uses a seeded refresh token never used before, introspection a random live one (of the middle half of the seeded tokens, which refreshes and revocations do not reach). A ratio is "–" (not met) if a request failed.

%s`, o.passwordRate, o.rate, count(o.small.users), count(o.small.clients), count(o.small.tokens),
		count(o.big.users), count(o.big.clients), count(o.big.tokens), o.phase, o.slices, o.setup)
}

func count(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// sustain runs chains of a password grant and refresh grants on o.big
// while sampling the database's size.
func (e env) sustain(ctx context.Context, stdout io.Writer) (string, error) {
	o := e.o
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var grants, failures atomic.Int64
	var wg sync.WaitGroup
	// Each grant waits for a tick: a steady rate keeps the number of live
	// grants steady, whatever else the machine does.
	tick := time.NewTicker(time.Duration(float64(time.Second) / o.sustainRate))
	defer tick.Stop()
	paced := func() bool {
		select {
		case <-tick.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for w := range o.conns {
		wg.Go(func() {
			for i := w; paced(); i += o.conns {
				c := fmt.Sprintf(o.clientFmt, i%o.big.clients)
				rt, err := e.grant(ctx, c, url.Values{"grant_type": {"password"}, "username": {fmt.Sprintf(o.userFmt, i%o.big.users)},
					"password": {o.password}, "scope": {"search"}})
				for n := 0; err == nil && n < o.chain && paced(); n++ {
					grants.Add(1)
					rt, err = e.grant(ctx, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
				}
				if err != nil && ctx.Err() == nil {
					failures.Add(1)
				}
			}
		})
	}
	series := bench.SizeSeries{Name: o.title}
	start := time.Now()
	for {
		b, err := e.size(ctx)
		if err != nil {
			cancel()
			wg.Wait()
			return "", err
		}
		series.Samples = append(series.Samples, bench.SizeSample{At: time.Since(start), Bytes: b})
		fmt.Fprintf(stdout, "%s: %s %d bytes, %d grants\n", o.title, time.Since(start).Round(time.Second), b, grants.Load())
		select {
		case <-ctx.Done():
		case <-time.After(o.every):
			continue
		}
		break
	}
	wg.Wait()
	if b, err := e.size(context.Background()); err == nil {
		series.Samples = append(series.Samples, bench.SizeSample{At: time.Since(start), Bytes: b})
	}
	if failures.Load() > 0 {
		return "", fmt.Errorf("%d chains failed", failures.Load())
	}
	g := series.Growth()
	met := "no"
	if goal := (bench.Goal{AtMost: true, Bound: maxGrowth}); goal.Met(g) {
		met = "yes"
	}
	md := fmt.Sprintf("### %s\n\n%d refresh grants in %s (%.0f/s, and a password grant for every %d). Growth over the second half: **%+.1f%%** (goal ≤ %.0f%%), met: **%s**.\n\n%s",
		o.title, grants.Load(), o.duration, float64(grants.Load())/o.duration.Seconds(), o.chain, 100*g, 100*maxGrowth, met, bench.SizeTable([]bench.SizeSeries{series}))
	return md, nil
}

// maxGrowth is the goal of the sustained run: the database grows by at
// most this fraction over the second half.
const maxGrowth = 0.05

func (e env) size(ctx context.Context) (int64, error) {
	out, err := exec.CommandContext(context.WithoutCancel(ctx), "sh", "-c", e.o.size).Output()
	if err != nil {
		return 0, fmt.Errorf("-size: %w", err)
	}
	return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
}

// grant posts a grant for client c and returns the refresh token.
func (e env) grant(ctx context.Context, c string, form url.Values) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.o.big.url+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", basicAuth(c, e.o.secret))
	resp, err := e.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.RefreshToken == "" {
		return "", fmt.Errorf("grant %s: status %d", form.Get("grant_type"), resp.StatusCode)
	}
	return body.RefreshToken, nil
}
