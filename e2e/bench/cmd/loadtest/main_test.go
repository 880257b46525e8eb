package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
	for _, alg := range []string{"RS256", "EdDSA"} {
		seen := map[string]bool{}
		for _, g := range goals(alg) {
			if g.Key == "" || g.What == "" || g.Bound == 0 || seen[g.Key] {
				t.Errorf("%s: goal %+v", alg, g)
			}
			seen[g.Key] = true
		}
		// Tokens per second per core is a goal for the cheap algorithms.
		if seen["cc per core"] != (alg != "RS256") {
			t.Errorf("%s: cc per core goal %v", alg, seen["cc per core"])
		}
	}
}
