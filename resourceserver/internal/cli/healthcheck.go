package cli

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/fastsafe/fastsafe/internal/healthcheck"
)

// probeTimeout bounds a health check, connection included.
const probeTimeout = 5 * time.Second

// probe asks the server listening on addr for /healthz and returns nil if
// it answers 200. An address without a host, or with an unspecified one
// (0.0.0.0, ::), is probed on the loopback interface.
func probe(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return healthcheck.Get(ctx, "http://"+net.JoinHostPort(host, port)+"/healthz", probeTimeout)
}
