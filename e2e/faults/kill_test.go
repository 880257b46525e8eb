package faults_test

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/e2e/harness"
)

// TestKillDuringRotations kills the auth server with SIGKILL, again and
// again, while users' apps rotate their refresh tokens as fast as it
// answers. A rotation that committed but whose answer was lost is sent
// again by its app, with the same refresh token: within the grace window
// it gets the same successor. Every grant must survive: nobody is made to
// log in again, no refresh token yields two successors, nothing answers
// 500; and a stolen copy of an old refresh token is still reuse.
func TestKillDuringRotations(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { killDuringRotations(t, map[string]string{}) })
	t.Run("postgres", func(t *testing.T) {
		c := newCluster(t)
		killDuringRotations(t, map[string]string{"AUTH_DB": c.DSN()})
	})
}

func killDuringRotations(t *testing.T, env map[string]string) {
	const users, kills = 20, 10
	if g := os.Getenv("FASTSAFE_FAULTS_REFRESH_GRACE"); g != "" {
		env["AUTH_REFRESH_TOKEN_GRACE"] = g
	}
	env["AUTH_LOG_LEVEL"] = "warn"
	auth := harness.StartAuth(t, harness.AuthOptions{Env: env})
	us, id, secret := setupUsers(t, auth, users)

	var tl tally
	ctx, cancel := context.WithCancel(context.Background())
	wait := rotateUntil(ctx, us, auth.URL+"/token", id, secret, &tl)
	for range kills {
		time.Sleep(time.Duration(150+rand.IntN(300)) * time.Millisecond)
		auth.Kill()
		auth.Start()
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	wait()
	checkAlive(t, us, auth.URL+"/token", id, secret, &tl)
	tl.report(t, "kill -9 during rotations")
	checkReuseStillDetected(t, us[0], auth.URL+"/token", id, secret)
	if tl.rotations.Load() < int64(users*kills) {
		t.Errorf("only %d rotations in all: the load was too light to test anything", tl.rotations.Load())
	}
}
