package cli

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// drain goes on serving for d once a shutdown has begun: /readyz answers
// 503 meanwhile, so that load balancers take the server out of rotation
// while it still serves what they send until they notice. It returns the
// server's error if the server stops on its own meanwhile.
func drain(d time.Duration, served <-chan error, logger *slog.Logger) error {
	if d <= 0 {
		return nil
	}
	logger.Info("draining: unready, still serving", "drain", d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case err := <-served:
		return err
	}
}

// keyRefresher fetches the key set at once.
type keyRefresher interface {
	Refresh(ctx context.Context) error
}

// refreshOnHangup fetches the key set whenever the process gets SIGHUP,
// until ctx ends: after a signing key was revoked, operators drop it from
// every resource server at once instead of waiting for the next refresh.
func refreshOnHangup(ctx context.Context, keys keyRefresher, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := keys.Refresh(ctx); err != nil {
				logger.Warn("key set refresh on SIGHUP failed; keeping the last good keys", "error", err)
				continue
			}
			logger.Info("key set refreshed on SIGHUP")
		}
	}
}
