package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// TestServe runs the default command until healthcheck reports it healthy,
// then cancels it and expects a clean exit.
func TestServe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	db := filepath.Join(t.TempDir(), "new", "auth.db")
	env := map[string]string{"AUTH_DB": db, "AUTH_BCRYPT_COST": "4", "AUTH_LOG_FORMAT": "json"}
	getenv := func(k string) string { return env[k] }

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr logbuf.Buffer
	done := make(chan int, 1)
	go func() {
		// No command: the first argument is a flag, so this serves.
		done <- Main(ctx, []string{"--addr", addr, "--shutdown-timeout", "5s", "--shutdown-drain", "0s"}, strings.NewReader(""), &stdout, &stderr, getenv)
	}()

	deadline := time.Now().Add(30 * time.Second)
	for {
		var out, errOut bytes.Buffer
		if Main(context.Background(), []string{"healthcheck", "--addr", addr}, strings.NewReader(""), &out, &errOut, getenv) == ExitOK {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before it was healthy; stderr:\n%s", code, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not healthy after 30s; stderr:\n%s", stderr.String())
		}
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("serve did not create the database: %v", err)
	}

	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("serve exited with %d after cancellation, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of cancellation")
	}
	if !strings.Contains(stderr.String(), `"level":"INFO"`) {
		t.Errorf("serve did not log JSON at info to stderr:\n%s", stderr.String())
	}
	if stdout.String() != "" {
		t.Errorf("serve wrote to stdout: %q", stdout.String())
	}
}
