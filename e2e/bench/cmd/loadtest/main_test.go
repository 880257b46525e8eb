package main

import (
	"bytes"
	"context"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/e2e/bench"
)

func TestRunRefusesBadInvocations(t *testing.T) {
	env := map[string]string{"LOADTEST_CLIENT_SECRET": "s", "LOADTEST_PASSWORD": "p"}
	local := []string{"-auth", "http://127.0.0.1:1", "-rs", "http://127.0.0.1:2", "-rs-nocache", "http://localhost:3"}
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no servers", nil, env, "-auth is required"},
		{"remote server", []string{"-auth", "http://10.1.2.3:9096", "-rs", "http://127.0.0.1:2", "-rs-nocache", "http://127.0.0.1:3"}, env, "not a loopback address"},
		{"no secrets", local, nil, "LOADTEST_CLIENT_SECRET and LOADTEST_PASSWORD"},
		{"too many runs", append([]string{"-runs", "99"}, local...), env, "-runs"},
		{"endless sustained run", append([]string{"-sustain", "1h"}, local...), env, "-sustain"},
		{"unknown flag", []string{"-nope"}, env, "flag provided but not defined"},
		{"sign-in client without its redirect", append([]string{"-signin-client", "app"}, local...), env, "-signin-client and -signin-redirect"},
		{"huge cache", append([]string{"-cache-tokens", "1000000"}, local...), env, "-cache-tokens"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, &out, &errOut)
			if code != 2 || !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut.String(), tt.want)
			}
		})
	}
}

func TestGoalsNameEveryRatio(t *testing.T) {
	for _, o := range []options{
		{alg: "RS256", latency: true, sustain: time.Second, cacheTokens: 10, signinClient: "app"},
		{alg: "EdDSA"},
		{alg: "ES256", cacheTokens: 10},
	} {
		alg := o.alg
		seen := map[string]bool{}
		for _, g := range goals(o) {
			if g.Key == "" || g.What == "" || g.Bound == 0 || seen[g.Key] {
				t.Errorf("%s: goal %+v", alg, g)
			}
			seen[g.Key] = true
		}
		// Tokens per second per core is a goal for the cheap algorithms.
		if seen["cc per core"] != (alg != "RS256") {
			t.Errorf("%s: cc per core goal %v", alg, seen["cc per core"])
		}
		// The goals of a phase are there when the phase runs.
		for key, runs := range map[string]bool{
			"signin/bcrypt": o.signinClient != "", "jwks p99 loaded/idle": o.latency,
			"memory rs cache": o.sustain > 0, "cache bytes/token": o.cacheTokens > 0,
			"search/token cache": true, "search/verify nocache cpu": true, "cc/floor": true, "cc/floor cpu": true,
		} {
			if seen[key] != runs {
				t.Errorf("%s: goal %q present %v, want %v", alg, key, seen[key], runs)
			}
		}
	}
}

// TestCCFloor: client_credentials against cores ÷ (the authorization
// server's CPU per bare request + one signature), and the server's side of
// it, only from the CPU times that were read.
func TestCCFloor(t *testing.T) {
	const one = 25 * time.Microsecond
	cores := float64(runtime.NumCPU())
	limit := cores / (55 * time.Microsecond).Seconds()
	for _, tt := range []struct {
		name      string
		cc, floor bench.Summary
		want      map[string]float64
		line      string
	}{
		{"both read", bench.Summary{Throughput: limit / 2, CPU: 110 * time.Microsecond}, bench.Summary{CPU: 30 * time.Microsecond},
			map[string]float64{"cc/floor": 0.5, "cc/floor cpu": 0.5}, "30µs of CPU"},
		{"grant's CPU unread", bench.Summary{Throughput: limit / 4}, bench.Summary{CPU: 30 * time.Microsecond},
			map[string]float64{"cc/floor": 0.25}, "one signature ÷ (floor + one) 0.455"},
		{"floor unread", bench.Summary{Throughput: limit, CPU: 110 * time.Microsecond}, bench.Summary{}, map[string]float64{}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			e := &env{o: options{alg: "EdDSA"}, out: &out}
			r := bench.RunResult{Ratios: map[string]float64{}}
			e.ccFloor(&r, tt.cc, tt.floor, one)
			if len(r.Ratios) != len(tt.want) {
				t.Errorf("ratios %v, want %v", r.Ratios, tt.want)
			}
			for k, v := range tt.want {
				if got := r.Ratios[k]; math.Abs(got-v) > 1e-9 {
					t.Errorf("%s = %v, want %v", k, got, v)
				}
			}
			if !strings.Contains(out.String(), tt.line) || (tt.line == "") != (out.Len() == 0) {
				t.Errorf("printed %q, want it to hold %q", out.String(), tt.line)
			}
		})
	}
}

// TestCombinedIntro: the first suite's intro whole, then only the lines of
// the others that differ, named.
func TestCombinedIntro(t *testing.T) {
	got := combinedIntro([]bench.Suite{
		{Name: "RS256", Intro: "Generated.\n\n- Machine: 2 cores.\n- Tokens: signed with RS256.\n"},
		{Name: "ES256", Intro: "Generated.\n\n- Machine: 2 cores.\n- Tokens: signed with ES256.\n"},
	})
	want := "Generated.\n\n- Machine: 2 cores.\n- Tokens: signed with RS256.\n- ES256: Tokens: signed with ES256.\n"
	if got != want {
		t.Errorf("combinedIntro = %q, want %q", got, want)
	}
}
