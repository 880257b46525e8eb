package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/fastsafe/fastsafe/internal/healthcheck"
)

// healthTimeout bounds the whole health check.
const healthTimeout = 3 * time.Second

var healthcheckCommand = command{
	name:    "healthcheck",
	summary: "check that a server answers GET /healthz with 200; for container health checks",
	details: `Exits 0 if the server answers 200 OK within 3 seconds, 1 otherwise. It
needs no shell and no database. Without --url it asks the server on this
host at the port of --addr: at 127.0.0.1 when --addr listens on every
address, else at the host of --addr. Proxies and redirects are not followed.`,
	db: dbNone,
	setup: func(fs *flag.FlagSet) action {
		rawURL := fs.String("url", "", "the server's base `URL`, to which /healthz is added unless it has a path (default http://127.0.0.1:PORT, PORT from --addr)")
		return func(ctx context.Context, a *app, _ []string) error {
			target, err := healthURL(*rawURL, a.cfg.Addr)
			if err != nil {
				return &usageError{cmd: "healthcheck", err: err}
			}
			if err := checkHealth(ctx, target); err != nil {
				return fmt.Errorf("health check failed: %w", err)
			}
			fmt.Fprintln(a.stdout, "ok")
			return nil
		}
	},
}

// healthURL returns the URL to check: raw with "/healthz" as path if it has
// none, or, without raw, the health endpoint of the server listening on
// addr on this host.
func healthURL(raw, addr string) (string, error) {
	if raw == "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || port == "" {
			return "", fmt.Errorf("--addr %q is not host:port; give --url", addr)
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--url %q is not an http(s) URL", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/healthz"
	}
	return u.String(), nil
}

func checkHealth(ctx context.Context, target string) error {
	return healthcheck.Get(ctx, target, healthTimeout)
}
