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
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fastsafe/fastsafe/e2e/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	auth, rs, rsNoCache      string
	clientID, username       string
	clientSecret, password   string
	alg                      string
	cost                     int
	conns, runs              int
	phase, warmup, sustain   time.Duration
	jwksRate, ccRate         float64
	distinct                 int
	authPID, rsPID, rsNoCPID int
	out, setup, notes        string
	wait                     time.Duration
	// The service-to-service phases (s2s.go).
	pkjwtClient, pkjwtKey          string
	exchangeClient, exchangeSecret string
	keygen                         string
	// The sign-in flow (signin.go).
	signinClient, signinRedirect string
	latency                      bool   // the JWKS and client_credentials latency probes
	save, combine                string // the suite saved, or saved suites put in one report
	cacheTokens                  int    // tokens in the cache whose memory is measured
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.auth, "auth", "", "authorization server `URL` (loopback)")
	fs.StringVar(&o.rs, "rs", "", "`URL` of a resource server with the token cache on")
	fs.StringVar(&o.rsNoCache, "rs-nocache", "", "`URL` of a resource server with the token cache off")
	fs.StringVar(&o.clientID, "client-id", "bench", "confidential client with the password and client_credentials grants and scope search")
	fs.StringVar(&o.username, "username", "bench", "user with scope search; password in LOADTEST_PASSWORD")
	fs.StringVar(&o.alg, "signing-alg", "RS256", "the authorization server's signing `algorithm`")
	fs.IntVar(&o.cost, "bcrypt-cost", 10, "the authorization server's bcrypt `cost`")
	fs.IntVar(&o.conns, "connections", 8, "connections of each full-load phase")
	fs.IntVar(&o.runs, "runs", 3, "how many times to measure everything; the report gives medians")
	fs.DurationVar(&o.phase, "phase", 3*time.Second, "measured time of each phase")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "unmeasured time before each full-load phase")
	fs.DurationVar(&o.sustain, "sustain", 20*time.Second, "length of the sustained run that samples memory; 0 skips it")
	fs.Float64Var(&o.jwksRate, "jwks-rate", 100, "JWKS requests per second while probing latency")
	fs.Float64Var(&o.ccRate, "cc-rate", 20, "client_credentials grants per second while probing latency")
	fs.IntVar(&o.distinct, "distinct-tokens", 1500, "distinct tokens presented in the sustained run")
	fs.IntVar(&o.authPID, "auth-pid", 0, "process id of the authorization server, to sample its memory")
	fs.IntVar(&o.rsPID, "rs-pid", 0, "process id of the resource server with the cache")
	fs.IntVar(&o.rsNoCPID, "rs-nocache-pid", 0, "process id of the resource server without the cache")
	fs.StringVar(&o.out, "out", "", "Markdown report to write (and its chart, as .svg beside it); none if empty")
	fs.StringVar(&o.setup, "setup", "", "Markdown describing how the servers were started, for the report")
	fs.StringVar(&o.notes, "notes", "", "Markdown `file` appended to the report: where the time goes")
	fs.DurationVar(&o.wait, "wait", 30*time.Second, "how long to wait for the servers to be ready")
	fs.StringVar(&o.pkjwtClient, "pkjwt-client", "", "client that authenticates with the key of -pkjwt-key (private_key_jwt); empty skips the service-to-service phases")
	fs.StringVar(&o.pkjwtKey, "pkjwt-key", "", "PEM `file` of that client's Ed25519 key, made with -keygen")
	fs.StringVar(&o.exchangeClient, "exchange-client", "", "client with the password and token_exchange grants for search-api; secret in LOADTEST_EXCHANGE_SECRET")
	fs.StringVar(&o.keygen, "keygen", "", "write an Ed25519 key to `PREFIX`.key and its key set to PREFIX.jwks, then exit")
	fs.StringVar(&o.signinClient, "signin-client", "", "public client with the authorization_code grant, consent skipped, for the sign-in flow; empty skips it")
	fs.StringVar(&o.signinRedirect, "signin-redirect", "", "that client's redirect `URI`")
	fs.BoolVar(&o.latency, "latency", true, "measure the JWKS and client_credentials latency, idle and under password load")
	fs.IntVar(&o.cacheTokens, "cache-tokens", 1000, "distinct tokens put in a verified-token cache to measure its memory per token; 0 skips it")
	fs.StringVar(&o.save, "save", "", "write this measurement's goals and runs to `FILE` (JSON), for -combine")
	fs.StringVar(&o.combine, "combine", "", "measure nothing: write the report (-out, -notes) of the comma-separated `FILES` written by -save")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.combine != "" {
		if err := combine(o, stdout); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
		return 0
	}
	if o.keygen != "" {
		if err := keygen(o.keygen); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
		return 0
	}
	o.exchangeSecret = getenv("LOADTEST_EXCHANGE_SECRET")
	o.clientSecret, o.password = getenv("LOADTEST_CLIENT_SECRET"), getenv("LOADTEST_PASSWORD")
	if err := o.check(); err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 2
	}
	if err := measure(ctx, o, stdout); err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	return 0
}

func (o options) check() error {
	var errs []error
	for name, u := range map[string]string{"-auth": o.auth, "-rs": o.rs, "-rs-nocache": o.rsNoCache} {
		if u == "" {
			errs = append(errs, fmt.Errorf("%s is required", name))
		} else if err := bench.CheckLoopback(u); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if o.clientSecret == "" || o.password == "" {
		errs = append(errs, errors.New("LOADTEST_CLIENT_SECRET and LOADTEST_PASSWORD must be set"))
	}
	if o.runs < 1 || o.runs > 20 {
		errs = append(errs, errors.New("-runs must be from 1 to 20"))
	}
	if o.sustain < 0 || o.sustain > 5*time.Minute {
		errs = append(errs, errors.New("-sustain must be from 0 to 5m"))
	}
	if o.distinct < 1 || o.distinct > 100_000 {
		errs = append(errs, errors.New("-distinct-tokens must be from 1 to 100000"))
	}
	if (o.signinClient == "") != (o.signinRedirect == "") {
		errs = append(errs, errors.New("-signin-client and -signin-redirect go together"))
	}
	if o.cacheTokens < 0 || o.cacheTokens > 100_000 {
		errs = append(errs, errors.New("-cache-tokens must be from 0 to 100000"))
	}
	if o.s2s() && (o.pkjwtKey == "" || o.exchangeClient == "" || o.exchangeSecret == "") {
		errs = append(errs, errors.New("-pkjwt-client needs -pkjwt-key, -exchange-client and LOADTEST_EXCHANGE_SECRET"))
	}
	return errors.Join(errs...)
}

// goals are the ratios of the issue, keyed as measure records them: those
// of the phases o runs.
func goals(o options) []bench.Goal {
	alg := o.alg
	g := []bench.Goal{
		{Key: "search/token cache", What: "`/search` ÷ `GET /` carrying the same `Authorization` header, req/s, token cache on", Bound: 0.95},
		{Key: "search/token cache cpu", What: "… the server's side: CPU per `/` with the header ÷ CPU per `/search`, cache on", Bound: 0.95},
		{Key: "search/root cache", What: "`/search` ÷ bare `GET /` req/s, token cache on", Bound: 0.9},
		{Key: "search/root cache cpu", What: "… the server's side: CPU per bare `/` ÷ CPU per `/search`, cache on", Bound: 0.9},
		{Key: "search/verify nocache", What: "`/search` req/s, token cache off ÷ its limit, cores ÷ (server CPU per bare `/` + CPU time of one " + alg + " signature verification)", Bound: 0.9},
		{Key: "search/verify nocache cpu", What: "… the server's side: (CPU per bare `/` + one " + alg + " verification) ÷ CPU per `/search`, cache off", Bound: 0.9},
		{Key: "password/bcrypt", What: "password grants/s ÷ bcrypt capacity (cores ÷ CPU time of one compare)", Bound: 0.9},
		{Key: "password/bcrypt cpu", What: "… its CPU efficiency: one compare ÷ server CPU per password grant", Bound: 0.9},
		{Key: "password/bcrypt util", What: "… its core utilisation: server CPU ÷ (cores × time)", Bound: 0.9},
		{Key: "cc/sign", What: "client_credentials grants/s ÷ signing capacity (cores ÷ CPU time of one " + alg + " signature)", Bound: 0.8},
		{Key: "cc/sign cpu", What: "… its CPU efficiency: one signature ÷ server CPU per grant", Bound: 0.8},
		{Key: "cc/floor", What: "client_credentials grants/s ÷ its limit, cores ÷ (authorization server CPU per bare `GET /healthz` + CPU time of one " + alg + " signature)", Bound: 0.8},
		{Key: "cc/floor cpu", What: "… the server's side: (CPU per bare `GET /healthz` + one " + alg + " signature) ÷ CPU per grant", Bound: 0.8},
	}
	if alg != "RS256" {
		g = append(g, bench.Goal{Key: "cc per core", What: "client_credentials grants/s per core (" + alg + ")", Bound: 2000})
	}
	if o.signinClient != "" {
		g = append(g,
			bench.Goal{Key: "signin/bcrypt", What: "sign-in flows/s (authorize, login form POST, code, authorization_code grant with PKCE) ÷ bcrypt capacity", Bound: 0.9},
			bench.Goal{Key: "signin/bcrypt cpu", What: "… its CPU efficiency: one compare ÷ server CPU per flow", Bound: 0.9},
		)
	}
	if o.latency {
		g = append(g,
			bench.Goal{Key: "jwks p99 loaded/idle", What: "JWKS p99 while password grants saturate the CPUs ÷ idle p99", AtMost: true, Bound: 10},
			bench.Goal{Key: "cc p99 loaded/idle", What: "client_credentials p99 while password grants saturate the CPUs ÷ idle p99", AtMost: true, Bound: 10},
		)
	}
	g = append(g, bench.Goal{Key: "search p99/p50 half", What: "`/search` p99 ÷ p50 at half its peak req/s", AtMost: true, Bound: 5})
	if o.sustain > 0 {
		g = append(g,
			bench.Goal{Key: "memory authserver", What: "authorization server resident memory growth, sustained run", AtMost: true, Bound: 0.1},
			bench.Goal{Key: "memory rs cache", What: "resource server (cache on) resident memory growth, sustained run", AtMost: true, Bound: 0.1},
			bench.Goal{Key: "memory rs nocache", What: "resource server (cache off) resident memory growth, sustained run", AtMost: true, Bound: 0.1},
		)
	}
	if o.cacheTokens > 0 {
		// CachedOptions documents about half a kilobyte per entry.
		g = append(g, bench.Goal{Key: "cache bytes/token", What: "resource server heap per cached token, bytes (verify.Cached with " + fmt.Sprint(o.cacheTokens) + " of this server's tokens, live heap after a collection, less before)", AtMost: true, Bound: 1024})
	}
	return g
}

// env is what every phase needs.
type env struct {
	o      options
	client *http.Client
	token  string // a valid access token for the resource servers
	basic  string // the client's Authorization header
	out    io.Writer
}

func measure(ctx context.Context, o options, stdout io.Writer) error {
	e := &env{o: o, client: bench.NewClient(4 * max(o.conns, runtime.NumCPU())), out: stdout,
		basic: basicAuth(o.clientID, o.clientSecret)}
	if err := e.waitReady(ctx); err != nil {
		return err
	}
	var err error
	if e.token, err = e.getToken(ctx); err != nil {
		return err
	}
	if o.signinClient != "" {
		// Once before measuring, so that a failure says why.
		if err := e.signIn(ctx, e.client); err != nil {
			return err
		}
	}
	started := time.Now()
	load := loadAverage()
	report := bench.Suite{Name: o.alg, Goals: append(goals(o), s2sGoals(o)...)}
	for i := range o.runs {
		fmt.Fprintf(stdout, "== run %d of %d\n", i+1, o.runs)
		r, err := e.oneRun(ctx)
		if err != nil {
			return err
		}
		report.Runs = append(report.Runs, r)
	}
	if o.sustain > 0 {
		fmt.Fprintln(stdout, "== sustained run")
		mem, ratios, err := e.sustained(ctx)
		if err != nil {
			return err
		}
		last := &report.Runs[len(report.Runs)-1]
		last.Memory = mem
		for k, v := range ratios {
			last.Ratios[k] = v
		}
	}
	if o.cacheTokens > 0 {
		fmt.Fprintln(stdout, "== verified-token cache memory")
		tokens, err := e.tokens(ctx, o.cacheTokens)
		if err != nil {
			return err
		}
		per, err := bench.CacheBytesPerToken(ctx, o.auth, "search-api", tokens)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d cached tokens of %d bytes: %.0f bytes of heap each\n", len(tokens), len(e.token), per)
		report.Runs[len(report.Runs)-1].Ratios["cache bytes/token"] = per
	}
	report.Intro = e.intro(started, load)
	rep := bench.Combine("Performance", []bench.Suite{report})
	for _, g := range rep.Goals {
		m, each := rep.Ratio(g.Key)
		fmt.Fprintf(stdout, "%-24s median %-8.3g runs %v goal %s met %v\n", g.Key, m, each, goalText(g), g.Met(m))
	}
	if o.save != "" {
		if err := report.Save(o.save); err != nil {
			return err
		}
	}
	if o.out == "" {
		return nil
	}
	return write(o, []bench.Suite{report})
}

// combine writes the report of the suites saved in the files of
// o.combine.
func combine(o options, stdout io.Writer) error {
	if o.out == "" {
		return errors.New("-combine needs -out")
	}
	var suites []bench.Suite
	for f := range strings.SplitSeq(o.combine, ",") {
		s, err := bench.LoadSuite(strings.TrimSpace(f))
		if err != nil {
			return err
		}
		suites = append(suites, s)
	}
	if err := write(o, suites); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "combined %d suites into %s\n", len(suites), o.out)
	return nil
}

// write writes the report of suites to o.out, with its chart beside it.
func write(o options, suites []bench.Suite) error {
	report := bench.Combine("Performance", suites)
	report.Intro = combinedIntro(suites)
	if o.notes != "" {
		notes, err := os.ReadFile(o.notes)
		if err != nil {
			return err
		}
		report.Notes = string(notes)
	}
	chart := strings.TrimSuffix(o.out, filepath.Ext(o.out)) + ".svg"
	report.Chart = filepath.Base(chart)
	if err := os.WriteFile(chart, []byte(report.SVG()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(o.out, []byte(report.Markdown()), 0o644)
}

// combinedIntro is the first suite's intro, then the lines of the others
// that differ from it, each marked with its suite's name.
func combinedIntro(suites []bench.Suite) string {
	if len(suites) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(strings.TrimSpace(suites[0].Intro) + "\n")
	first := map[string]bool{}
	for line := range strings.SplitSeq(suites[0].Intro, "\n") {
		first[line] = true
	}
	for _, s := range suites[1:] {
		for line := range strings.SplitSeq(strings.TrimSpace(s.Intro), "\n") {
			if rest, ok := strings.CutPrefix(line, "- "); ok && !first[line] {
				fmt.Fprintf(&b, "- %s: %s\n", s.Name, rest)
			}
		}
	}
	return b.String()
}

// basicAuth is client_secret_basic, both parts form-encoded (RFC 6749
// §2.3.1).
func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func goalText(g bench.Goal) string {
	if g.AtMost {
		return fmt.Sprintf("<= %g", g.Bound)
	}
	return fmt.Sprintf(">= %g", g.Bound)
}

func (e *env) intro(started time.Time, load string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Generated by `make bench` (e2e/bench/run.sh, e2e/bench/cmd/loadtest) on %s; do not edit by hand.\n\n",
		started.UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "- Machine: %d cores (%s), load average %s when the measurement began. The machine is shared: figures move from run to run, so each ratio is measured within one run, both sides under the same conditions, and the medians of %d runs are given.\n",
		runtime.NumCPU(), cpuModel(), load, e.o.runs)
	fmt.Fprintf(&b, "- Load: the load generator runs on the same cores as the servers, over loopback; %d connections per full-load phase, %s measured after %s of warm-up; paced probes at %g JWKS and %g client_credentials requests per second; latencies of paced requests are counted from their scheduled start.\n",
		e.o.conns, e.o.phase, e.o.warmup, e.o.jwksRate, e.o.ccRate)
	fmt.Fprintf(&b, "- Tokens: signed with %s; bcrypt cost %d. Capacities are cores ÷ the CPU time of one bcrypt compare, of one signature, timed in the load generator's process just before and after each grant phase. Server CPU times come from /proc/<pid>/stat (10 ms ticks, summed over each phase).\n",
		e.o.alg, e.o.cost)
	if e.o.setup != "" {
		b.WriteString(strings.TrimSpace(e.o.setup) + "\n")
	}
	return b.String()
}

func (e *env) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, e.o.wait)
	defer cancel()
	for _, base := range []string{e.o.auth, e.o.rs, e.o.rsNoCache} {
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
			resp, err := e.client.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s is not ready: %v", base, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// getToken gets an access token with the client_credentials grant.
func (e *env) getToken(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.o.auth+"/token",
		strings.NewReader("grant_type=client_credentials&scope=search"))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", e.basic)
	resp, err := e.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	tok, err := accessToken(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("client_credentials grant: status %d, %v", resp.StatusCode, err)
	}
	return tok, nil
}

// accessToken reads the access token of a token response.
func accessToken(r io.Reader) (string, error) {
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(r, 1<<16)).Decode(&body); err != nil {
		return "", err
	}
	if body.AccessToken == "" {
		return "", errors.New("no access token")
	}
	return body.AccessToken, nil
}

// Targets.
func (e *env) get(name, base, path string, auth bool) bench.Target {
	t := bench.Target{Name: name, URL: base + path, CPU: e.cpuOf(base)}
	if auth {
		t.Header = http.Header{"Authorization": {"Bearer " + e.token}}
	}
	return t
}

func (e *env) grant(name, form string) bench.Target {
	return bench.Target{Name: name, Method: http.MethodPost, URL: e.o.auth + "/token",
		Header: http.Header{"Authorization": {e.basic}}, Body: form, CPU: e.cpuOf(e.o.auth)}
}

// cpuOf returns the reader of the CPU time of the server at base, if its
// process id was given.
func (e *env) cpuOf(base string) func() (time.Duration, error) {
	pid := map[string]int{e.o.auth: e.o.authPID, e.o.rs: e.o.rsPID, e.o.rsNoCache: e.o.rsNoCPID}[base]
	if pid <= 0 {
		return nil
	}
	return func() (time.Duration, error) { return bench.ProcessCPU(pid) }
}

func (e *env) passwordForm() string {
	return url.Values{"grant_type": {"password"}, "username": {e.o.username}, "password": {e.o.password}, "scope": {"search"}}.Encode()
}

const ccForm = "grant_type=client_credentials&scope=search"

func (e *env) full() bench.Load {
	return bench.Load{Connections: e.o.conns, Duration: e.o.phase, Warmup: e.o.warmup, MaxRequests: bench.MaxRequests}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// slices is how many pieces each compared pair of phases is cut into,
// measured in turn.
const slices = 6

func (e *env) record(r *bench.RunResult, ss ...bench.Summary) error {
	for _, s := range ss {
		fmt.Fprintf(e.out, "%-52s %9.1f req/s  p50 %9s  p90 %9s  p99 %9s  errors %d\n", s.Name, s.Throughput,
			s.P50.Round(time.Microsecond), s.P90.Round(time.Microsecond), s.P99.Round(time.Microsecond), s.Errors)
		if s.Requests == 0 {
			return fmt.Errorf("%s: no request succeeded (%d errors)", s.Name, s.Errors)
		}
		r.Phases = append(r.Phases, s)
	}
	return nil
}

func (e *env) oneRun(ctx context.Context) (bench.RunResult, error) {
	r := bench.RunResult{Ratios: map[string]float64{}}
	cores := runtime.NumCPU()

	// The resource servers: each one's / and /search, in turn. Without the
	// cache, /search is held against the CPU time of one signature
	// verification, timed before and after, half of the repetitions each.
	verifyOp, err := bench.VerifyOp(e.o.alg)
	if err != nil {
		return r, err
	}
	var searchC bench.Summary
	for _, rs := range []struct{ key, label, base string }{{"cache", "cache on", e.o.rs}, {"nocache", "cache off", e.o.rsNoCache}} {
		targets := []bench.Target{
			e.get("GET / ("+rs.label+")", rs.base, "/", false),
			e.get("GET /search ("+rs.label+")", rs.base, "/search?query=apple", true),
		}
		if rs.key == "cache" {
			// / carrying the same Authorization header, which it ignores:
			// what reading the token's bytes costs, apart from checking it.
			targets = append(targets, e.get("GET / carrying the token (cache on)", rs.base, "/", true))
		}
		const verifications = 400
		before, err := bench.CPUPerOp(verifications/2, verifyOp)
		if err != nil {
			return r, err
		}
		ss, err := bench.RunAlternating(ctx, e.client, targets, e.full(), slices)
		if err != nil {
			return r, err
		}
		after, err := bench.CPUPerOp(verifications/2, verifyOp)
		if err != nil {
			return r, err
		}
		if err := e.record(&r, ss...); err != nil {
			return r, err
		}
		r.Ratios["search/root "+rs.key] = ratio(ss[1].Throughput, ss[0].Throughput)
		if ss[0].CPU > 0 && ss[1].CPU > 0 {
			r.Ratios["search/root "+rs.key+" cpu"] = ratio(float64(ss[0].CPU), float64(ss[1].CPU))
		}
		switch rs.key {
		case "cache":
			searchC = ss[1]
			r.Ratios["search/token cache"] = ratio(ss[1].Throughput, ss[2].Throughput)
			if ss[1].CPU > 0 && ss[2].CPU > 0 {
				r.Ratios["search/token cache cpu"] = ratio(float64(ss[2].CPU), float64(ss[1].CPU))
			}
		case "nocache":
			one := (before + after) / 2
			if ss[0].CPU > 0 {
				limit := bench.Capacity(cores, ss[0].CPU+one)
				r.Ratios["search/verify nocache"] = ratio(ss[1].Throughput, limit)
				if ss[1].CPU > 0 {
					r.Ratios["search/verify nocache cpu"] = ratio(float64(ss[0].CPU+one), float64(ss[1].CPU))
				}
				fmt.Fprintf(e.out, "one %s verification: %s of CPU; limit %.1f/s; ratio %.3f\n", e.o.alg, one.Round(time.Microsecond), limit, r.Ratios["search/verify nocache"])
			}
		}
	}
	half := bench.Load{Connections: e.o.conns, Duration: e.o.phase, MaxRequests: bench.MaxRequests, Rate: searchC.Throughput / 2}
	s, err := bench.Run(ctx, e.client, e.get("GET /search at half peak (cache on)", e.o.rs, "/search?query=apple", true), half)
	if err != nil {
		return r, err
	}
	if err := e.record(&r, s); err != nil {
		return r, err
	}
	r.Ratios["search p99/p50 half"] = ratio(float64(s.P99), float64(s.P50))

	// The grants at full load, against the capacity of this machine for
	// their cryptography: cores ÷ the CPU time of one operation, timed in
	// this process (CPU time, not wall time, so that what else the machine
	// runs does not enter it).
	bcryptOp, err := bench.BcryptOp(e.o.cost)
	if err != nil {
		return r, err
	}
	signOp, err := bench.SignOp(e.o.alg)
	if err != nil {
		return r, err
	}
	n := 200
	if e.o.alg == "RS256" {
		n = 50
	}
	type grantPhase struct {
		key, op string
		t       bench.Target
		l       bench.Load
		one     func() error
		n       int
	}
	// Enough connections to keep every bcrypt slot busy.
	bcryptLoad := bench.Load{Connections: 2 * cores, Duration: e.o.phase, Warmup: e.o.warmup, MaxRequests: bench.MaxRequests}
	bcryptName := "bcrypt compare at cost " + fmt.Sprint(e.o.cost)
	grants := []grantPhase{
		{"password/bcrypt", bcryptName, e.grant("POST /token password", e.passwordForm()), bcryptLoad, bcryptOp, 8},
		{"cc/sign", e.o.alg + " signature", e.grant("POST /token client_credentials", ccForm), e.full(), signOp, n},
	}
	if e.o.signinClient != "" {
		grants = append(grants, grantPhase{"signin/bcrypt", bcryptName, e.signInTarget(), bcryptLoad, bcryptOp, 8})
	}
	// The authorization server's floor: its CPU per request of the
	// cheapest request through the same middleware (request id, metrics,
	// request log, security headers, mux), as the resource server's bare
	// / is for /search. A grant's limit is cores ÷ (floor + signature).
	floor, err := bench.Run(ctx, e.client, e.get("GET /healthz (authorization server)", e.o.auth, "/healthz", false), e.full())
	if err != nil {
		return r, err
	}
	if err := e.record(&r, floor); err != nil {
		return r, err
	}
	for _, g := range grants {
		// The operation is timed before and after the phase, half of the
		// repetitions each, so that a drift of the machine's speed over
		// the phase weighs on both sides alike.
		before, err := bench.CPUPerOp((g.n+1)/2, g.one)
		if err != nil {
			return r, err
		}
		s, err := bench.Run(ctx, e.client, g.t, g.l)
		if err != nil {
			return r, err
		}
		after, err := bench.CPUPerOp((g.n+1)/2, g.one)
		if err != nil {
			return r, err
		}
		one := (before + after) / 2
		if err := e.record(&r, s); err != nil {
			return r, err
		}
		capacity := bench.Capacity(cores, one)
		r.Ratios[g.key] = ratio(s.Throughput, capacity)
		line := fmt.Sprintf("one %s: %s of CPU; capacity %.1f/s; ratio %.3f", g.op, one.Round(time.Microsecond), capacity, r.Ratios[g.key])
		if s.CPU > 0 {
			// What the ratio is made of: the server's CPU per grant
			// against the operation's, and the share of the cores the
			// server got.
			r.Ratios[g.key+" cpu"] = ratio(float64(one), float64(s.CPU))
			r.Ratios[g.key+" util"] = float64(s.CPU) * float64(s.Requests+s.Errors) / (float64(cores) * float64(s.Elapsed))
			line += fmt.Sprintf(" = CPU efficiency %.3f × core utilisation %.3f", r.Ratios[g.key+" cpu"], r.Ratios[g.key+" util"])
		}
		fmt.Fprintln(e.out, line)
		if g.key == "cc/sign" {
			r.Ratios["cc per core"] = s.Throughput / float64(cores)
			e.ccFloor(&r, s, floor, one)
		}
	}

	if e.o.latency {
		if err := e.latency(ctx, &r); err != nil {
			return r, err
		}
	}
	if e.o.s2s() {
		if err := e.s2sRun(ctx, &r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// ccFloor holds the client_credentials phase cc against its limit with
// the authorization server's floor (CPU per bare request) and one
// signature, and says how far the goal of one signature alone can be
// reached: one ÷ (floor + one) is the best CPU efficiency a grant that
// costs a bare request besides its signature can have.
func (e *env) ccFloor(r *bench.RunResult, cc, floor bench.Summary, one time.Duration) {
	if floor.CPU <= 0 {
		return
	}
	limit := bench.Capacity(runtime.NumCPU(), floor.CPU+one)
	r.Ratios["cc/floor"] = ratio(cc.Throughput, limit)
	line := fmt.Sprintf("authorization server floor (bare GET /healthz): %s of CPU; limit with one %s signature %.1f/s; ratio %.3f; one signature ÷ (floor + one) %.3f",
		floor.CPU.Round(time.Microsecond), e.o.alg, limit, r.Ratios["cc/floor"], ratio(float64(one), float64(floor.CPU+one)))
	if cc.CPU > 0 {
		r.Ratios["cc/floor cpu"] = ratio(float64(floor.CPU+one), float64(cc.CPU))
		line += fmt.Sprintf("; (floor + signature) ÷ CPU per grant %.3f", r.Ratios["cc/floor cpu"])
	}
	fmt.Fprintln(e.out, line)
}

// latency measures the JWKS and client_credentials latency, idle and while
// password grants saturate the CPUs, in turn.
func (e *env) latency(ctx context.Context, r *bench.RunResult) error {
	cores := runtime.NumCPU()
	var idleJ, idleC, busyJ, busyC bench.Sample
	part := (e.o.phase + 2*time.Second) / slices
	for range slices {
		j, c, err := e.probes(ctx, part)
		if err != nil {
			return err
		}
		idleJ.Add(j)
		idleC.Add(c)
		loadCtx, stopLoad := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() {
			l := bench.Load{Connections: 2 * cores, Duration: part + 500*time.Millisecond, MaxRequests: bench.MaxRequests}
			_, _ = bench.Measure(loadCtx, e.client, e.grant("password load", e.passwordForm()), l)
		})
		time.Sleep(250 * time.Millisecond) // let the password grants fill the CPUs
		j, c, err = e.probes(ctx, part)
		stopLoad()
		wg.Wait()
		if err != nil {
			return err
		}
		busyJ.Add(j)
		busyC.Add(c)
	}
	sums := []bench.Summary{
		idleJ.Summary("GET /.well-known/jwks.json (idle)"), idleC.Summary("POST /token client_credentials (idle)"),
		busyJ.Summary("GET /.well-known/jwks.json (password load)"), busyC.Summary("POST /token client_credentials (password load)"),
	}
	if err := e.record(r, sums...); err != nil {
		return err
	}
	r.Ratios["jwks p99 loaded/idle"] = ratio(float64(sums[2].P99), float64(sums[0].P99))
	r.Ratios["cc p99 loaded/idle"] = ratio(float64(sums[3].P99), float64(sums[1].P99))
	return nil
}

// probes sends paced JWKS and client_credentials requests at once for d.
func (e *env) probes(ctx context.Context, d time.Duration) (jwks, cc bench.Sample, err error) {
	var (
		wg         sync.WaitGroup
		errJ, errC error
	)
	// Both probes hit one server at once: its CPU time is not theirs.
	jt, ct := e.get("JWKS probe", e.o.auth, "/.well-known/jwks.json", false), e.grant("client_credentials probe", ccForm)
	jt.CPU, ct.CPU = nil, nil
	wg.Go(func() {
		jwks, errJ = bench.Measure(ctx, e.client, jt, bench.Load{Connections: 4, Duration: d, MaxRequests: bench.MaxRequests, Rate: e.o.jwksRate})
	})
	wg.Go(func() {
		cc, errC = bench.Measure(ctx, e.client, ct, bench.Load{Connections: 4, Duration: d, MaxRequests: bench.MaxRequests, Rate: e.o.ccRate})
	})
	wg.Wait()
	return jwks, cc, errors.Join(errJ, errC)
}

// sustained drives every kind of request at once for a while (distinct
// tokens at the cached resource server, so that its cache keeps evicting;
// grants of both kinds; failed logins of users that do not exist) and
// samples the servers' resident memory every second.
func (e *env) sustained(ctx context.Context) ([]bench.Memory, map[string]float64, error) {
	tokens, err := e.tokens(ctx, e.o.distinct)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(e.out, "%d distinct tokens issued\n", len(tokens))
	var next atomic.Uint64
	distinct := e.get("GET /search, distinct tokens", e.o.rs, "/search?query=apple", true)
	distinct.Vary = func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+tokens[next.Add(1)%uint64(len(tokens))])
	}
	var failures atomic.Uint64
	// Each failed login names another user; the body is replaced per
	// request.
	failed := e.grant("POST /token password, unknown users", "grant_type=password")
	failed.Status = http.StatusBadRequest
	failed.Vary = func(r *http.Request) {
		form := url.Values{"grant_type": {"password"}, "username": {fmt.Sprint("nobody-", failures.Add(1))}, "password": {"wrong password"}}.Encode()
		r.Body = io.NopCloser(strings.NewReader(form))
		r.ContentLength = int64(len(form))
	}
	warm := 3 * time.Second
	total := warm + e.o.sustain
	targets := []struct {
		t bench.Target
		l bench.Load
	}{
		{distinct, bench.Load{Connections: 4, Duration: total, MaxRequests: bench.MaxRequests}},
		{e.get("GET /search, cache off", e.o.rsNoCache, "/search?query=apple", true), bench.Load{Connections: 2, Duration: total, MaxRequests: bench.MaxRequests}},
		{e.grant("POST /token client_credentials", ccForm), bench.Load{Connections: 2, Duration: total, MaxRequests: bench.MaxRequests}},
		{e.grant("POST /token password", e.passwordForm()), bench.Load{Connections: 1, Duration: total, MaxRequests: bench.MaxRequests}},
		{failed, bench.Load{Connections: 1, Duration: total, MaxRequests: bench.MaxRequests}},
	}
	var wg sync.WaitGroup
	sums := make([]bench.Summary, len(targets))
	errs := make([]error, len(targets))
	for i, tl := range targets {
		wg.Go(func() { sums[i], errs[i] = bench.Run(ctx, e.client, tl.t, tl.l) })
	}
	procs := []struct {
		key, name string
		pid       int
	}{{"memory authserver", "authserver", e.o.authPID}, {"memory rs cache", "resourceserver (cache on)", e.o.rsPID}, {"memory rs nocache", "resourceserver (cache off)", e.o.rsNoCPID}}
	mem := make([]bench.Memory, 0, len(procs))
	ratios := map[string]float64{}
	select {
	case <-time.After(warm):
	case <-ctx.Done():
	}
	samples := make([][]int64, len(procs))
	tick := time.NewTicker(time.Second)
	for i := 0; i <= int(e.o.sustain/time.Second) && ctx.Err() == nil; i++ {
		for j, p := range procs {
			if p.pid <= 0 {
				continue
			}
			if n, err := bench.RSS(p.pid); err == nil {
				samples[j] = append(samples[j], n)
			}
		}
		if i < int(e.o.sustain/time.Second) {
			<-tick.C
		}
	}
	tick.Stop()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	for _, s := range sums {
		fmt.Fprintf(e.out, "  %-42s %9.1f req/s  errors %d\n", s.Name, s.Throughput, s.Errors)
	}
	for j, p := range procs {
		if len(samples[j]) == 0 {
			continue
		}
		m := bench.Memory{Name: p.name, Samples: samples[j]}
		mem = append(mem, m)
		ratios[p.key] = m.Growth()
		fmt.Fprintf(e.out, "  %-42s RSS %d → %d KiB (peak %d), growth %+.1f%%\n", p.name, m.First()>>10, m.Last()>>10, m.Peak()>>10, 100*m.Growth())
	}
	return mem, ratios, ctx.Err()
}

// tokens gets n distinct access tokens, four grants at a time.
func (e *env) tokens(ctx context.Context, n int) ([]string, error) {
	out := make([]string, n)
	var (
		wg   sync.WaitGroup
		next atomic.Int64
		errs = make([]error, 4)
	)
	for w := range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				tok, err := e.getToken(ctx)
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = tok
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// loadAverage returns the 1, 5 and 15 minute load averages, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// cpuModel returns the model name of the first CPU, or "unknown model".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown model"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.Join(strings.Fields(value), " ")
		}
	}
	return "unknown model"
}
