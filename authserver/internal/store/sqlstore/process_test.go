package sqlstore

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// The child process of TestTwoProcesses is this test binary, run with these
// variables set.
const (
	envChildDB = "FASTSAFE_SQLITE_TEST_CHILD_DB"
	envChildN  = "FASTSAFE_SQLITE_TEST_CHILD_N"
	childReady = "store open"
)

// TestMain lets the test binary act as the second process.
func TestMain(m *testing.M) {
	if path := os.Getenv(envChildDB); path != "" {
		n, _ := strconv.Atoi(os.Getenv(envChildN))
		if err := childWrites(path, n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// updateWrites appends n scopes named prefix-i to alice and records a
// revocation for each.
func updateWrites(ctx context.Context, s *Store, prefix string, n int) error {
	for i := range n {
		name := fmt.Sprintf("%s-%03d", prefix, i)
		if err := s.UpdateUser(ctx, "alice", func(u store.User) (store.User, error) {
			u.Scopes = append(u.Scopes, name)
			return u, nil
		}); err != nil {
			return fmt.Errorf("UpdateUser: %w", err)
		}
		if err := s.RevokeAccessToken(ctx, name, clock.Add(time.Hour)); err != nil {
			return fmt.Errorf("RevokeAccessToken: %w", err)
		}
	}
	return nil
}

func childWrites(path string, n int) error {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, path, WithBusyTimeout(2*time.Minute))
	if err != nil {
		return err
	}
	defer s.Close()
	// Tell the parent the store is open, so that both write at once.
	fmt.Println(childReady)
	return updateWrites(ctx, s, "child", n)
}

// TestTwoProcesses writes to one file from this process and from a child
// process at the same time, as the server and the CLI do.
func TestTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	const n = 100
	path := filepath.Join(t.TempDir(), "auth.db")
	s := openSQLite(t, path, WithBusyTimeout(2*time.Minute))
	if err := s.CreateUser(t.Context(), store.User{Username: "alice"}); err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildDB+"="+path, envChildN+"="+strconv.Itoa(n))
	stderr := &logbuf.Buffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the child has opened the store (or has exited).
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != childReady {
	}
	parentErr := updateWrites(t.Context(), s, "parent", n)
	_, _ = io.Copy(io.Discard, stdout)
	childErr := cmd.Wait()
	if parentErr != nil {
		t.Errorf("parent: %v", parentErr)
	}
	if childErr != nil {
		t.Errorf("child: %v\n%s", childErr, stderr.String())
	}
	if t.Failed() {
		t.FailNow()
	}
	u, err := s.GetUser(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Scopes) != 2*n {
		t.Fatalf("alice has %d scopes, want %d: updates were lost", len(u.Scopes), 2*n)
	}
	for _, jti := range []string{"child-000", fmt.Sprintf("child-%03d", n-1), "parent-000"} {
		if r, err := s.AccessTokenRevoked(t.Context(), jti); err != nil || !r {
			t.Fatalf("revocation %s: %v, %v", jti, r, err)
		}
	}
}
