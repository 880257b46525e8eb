package cli

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// serveOnce runs serve with env until it is healthy, stops it, and returns
// what it logged. It fails the test if serve does not become healthy or
// does not stop cleanly.
func serveOnce(t *testing.T, env map[string]string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	getenv := func(k string) string { return env[k] }

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr logbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--addr", addr, "--shutdown-drain", "0s"}, strings.NewReader(""), &stdout, &stderr, getenv)
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
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("serve exited with %d, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of cancellation")
	}
	return stderr.String()
}

const (
	bootPassword = "demo password 123"
	bootSecret   = "demo-client-secret-0123456789abcdef"
	bootRPSecret = "relying-party-secret-0123456789abcdef"
)

func bootstrapEnv(db string) map[string]string {
	return map[string]string{
		"AUTH_DB":                       db,
		"AUTH_CREATE_DB":                "true",
		"AUTH_BCRYPT_COST":              "4",
		"AUTH_BOOTSTRAP_USER":           "demo",
		"AUTH_BOOTSTRAP_PASSWORD":       bootPassword,
		"AUTH_BOOTSTRAP_CLIENT_ID":      "demo-client",
		"AUTH_BOOTSTRAP_CLIENT_SECRET":  bootSecret,
		"AUTH_BOOTSTRAP_DOCS_CLIENT_ID": "docs",

		"AUTH_BOOTSTRAP_DOCS_REDIRECT_URIS": "http://localhost:8000/docs/oauth2-redirect.html",
		"AUTH_BOOTSTRAP_RP_CLIENT_ID":       "search-demo",
		"AUTH_BOOTSTRAP_RP_CLIENT_SECRET":   bootRPSecret,
		"AUTH_BOOTSTRAP_RP_REDIRECT_URIS":   "http://localhost:4180/oauth2/callback",
		"AUTH_BOOTSTRAP_RP_CLIENT_NAME":     "Search demo",
	}
}

// TestServeBootstrap starts serve twice with the bootstrap settings and
// changes the user in between: the first start creates the user and the
// clients, the second keeps the change.
func TestServeBootstrap(t *testing.T) {
	h := &harness{t: t, db: filepath.Join(t.TempDir(), "auth.db")}
	h.env = bootstrapEnv(h.db)

	log := serveOnce(t, h.env)
	for _, s := range []string{bootPassword, bootSecret, bootRPSecret} {
		if strings.Contains(log, s) {
			t.Fatalf("serve logged a password or secret:\n%s", log)
		}
	}
	users := h.ok("", "users", "list").stdout
	if !strings.Contains(users, "demo") || !strings.Contains(users, "search") {
		t.Errorf("users list after the first start:\n%s", users)
	}
	// The columns, which are two or more spaces apart.
	clients := regexp.MustCompile(`  +`).ReplaceAllString(h.ok("", "clients", "list").stdout, " | ")
	for _, want := range []string{
		"demo-client | confidential | password,client_credentials,refresh_token | search | search-api | - | - | - | - | -\n",
		"docs | public | authorization_code,password,refresh_token | search | search-api | API documentation | skipped | http://localhost:8000/docs/oauth2-redirect.html | - | -\n",
		"search-demo | confidential | authorization_code,refresh_token | openid,profile,email,search | search-api | Search demo | asked | http://localhost:4180/oauth2/callback | - | -\n",
	} {
		if !strings.Contains(clients, want) {
			t.Errorf("clients list does not contain %q:\n%s", want, clients)
		}
	}
	st := h.store()
	u, err := st.GetUser(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	checkPasswordIs(t, u.PasswordHash, bootPassword)

	h.ok("changed password\n", "users", "passwd", "demo")
	h.ok("", "clients", "delete", "docs")
	serveOnce(t, h.env)
	u, err = st.GetUser(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	checkPasswordIs(t, u.PasswordHash, "changed password")
	if clients := h.ok("", "clients", "list").stdout; strings.Contains(clients, "docs") {
		t.Errorf("the second start recreated the deleted client:\n%s", clients)
	}
}

func TestServeBootstrapInvalid(t *testing.T) {
	h := &harness{t: t, db: filepath.Join(t.TempDir(), "auth.db")}
	h.env = bootstrapEnv(h.db)
	h.env["AUTH_BOOTSTRAP_CLIENT_SECRET"] = "too-short-secret"
	h.env["AUTH_BOOTSTRAP_PASSWORD"] = ""
	r := h.fails(ExitUsage, "invalid settings", "", "serve", "--addr", "127.0.0.1:0")
	for _, want := range []string{"--bootstrap-client-secret must be 32 to 512", "--bootstrap-password is required"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q does not contain %q", r.stderr, want)
		}
	}
	if strings.Contains(r.stderr, "too-short-secret") {
		t.Errorf("stderr shows the secret: %q", r.stderr)
	}
}
