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
	env := map[string]string{"AUTH_DB": db, "AUTH_CREATE_DB": "true", "AUTH_BCRYPT_COST": "4", "AUTH_LOG_FORMAT": "json"}
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

// TestServeRefusesMissingDatabase: without --create-db, serve never
// starts on a database that is not there, whether it never was (a
// mistyped --db, a first start) or was lost (a deleted file or
// directory, an emptied file), and says what to do; it creates nothing.
func TestServeRefusesMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "kept", "auth.db")
	h := &harness{t: t, db: existing, env: map[string]string{"AUTH_DB": existing}}
	h.ok("", "migrate")
	tests := []struct {
		name  string
		db    string
		setup func(t *testing.T)
	}{
		{"never created", filepath.Join(dir, "new", "auth.db"), nil},
		{"file deleted", existing, func(t *testing.T) {
			for _, f := range []string{existing, existing + "-wal", existing + "-shm"} {
				if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
			}
		}},
		{"directory deleted", filepath.Join(dir, "gone", "auth.db"), func(t *testing.T) {
			if err := os.MkdirAll(filepath.Join(dir, "gone"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(dir, "gone")); err != nil {
				t.Fatal(err)
			}
		}},
		{"file emptied", filepath.Join(dir, "empty.db"), func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "empty.db"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup(t)
			}
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string { return map[string]string{"AUTH_DB": tt.db}[k] }
			// A serve that starts after all is stopped, and fails the test.
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			code := Main(ctx, []string{"--addr", "127.0.0.1:0", "--shutdown-drain", "0s"}, strings.NewReader(""), &stdout, &stderr, getenv)
			if code != ExitFailure {
				t.Fatalf("serve exited with %d, want %d; stderr:\n%s", code, ExitFailure, stderr.String())
			}
			for _, want := range []string{"database missing", "--create-db", "AUTH_CREATE_DB", "authserver migrate", "restore it from a backup"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
			if fi, err := os.Stat(tt.db); err == nil && fi.Size() > 0 {
				t.Errorf("serve created %s", tt.db)
			}
		})
	}
}
