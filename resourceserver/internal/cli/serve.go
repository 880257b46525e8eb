package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastsafe/fastsafe/pkg/bearer"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/verify"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/resourceserver/internal/config"
	"github.com/fastsafe/fastsafe/resourceserver/internal/metrics"
	"github.com/fastsafe/fastsafe/resourceserver/internal/server"
)

var _ server.KeyStatus = (*jwks.Remote)(nil)

// Timeouts of the HTTP server. Tokens travel in a header, so headers may be
// a few kilobytes; requests have no body.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// serve runs the resource server with cfg on ln (or on a listener of
// cfg.Addr when ln is nil) until ctx ends. It then answers /readyz with 503
// but goes on serving for cfg.ShutdownDrain, so that load balancers stop
// sending it requests, and shuts down within cfg.ShutdownTimeout. It
// fetches the authorization server's keys in the background (and at once
// on SIGHUP); until they are loaded /readyz answers 503 and tokens whose
// key cannot be fetched get 503. With tp it traces its requests.
func serve(ctx context.Context, cfg config.Config, ln net.Listener, logger *slog.Logger, now func() time.Time, tp trace.TracerProvider) error {
	m, err := metrics.New(prometheus.NewRegistry(), now)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	keys, err := jwks.NewRemote(jwks.RemoteOptions{
		URL:     cfg.JWKSURL,
		Issuer:  cfg.Issuer,
		MaxWait: cfg.JWKSWait,
		Now:     now,
		Logger:  logger,
	})
	if err != nil {
		return fmt.Errorf("key set: %w", err)
	}
	verifier, err := verify.New(keys, verify.Options{
		Issuer:   cfg.Issuer,
		Audience: cfg.Audience,
		// The resource URL of its RFC 9728 metadata names it too: RFC
		// 8707 clients, such as MCP clients, ask tokens for it.
		OtherAudiences: []string{cfg.PublicURL},
		Now:            now,
	})
	if err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	if err := m.WatchKeys(keys); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	var tokens bearer.TokenVerifier = verifier
	if cfg.TokenCacheSize > 0 {
		cached, err := verify.NewCached(verifier, verify.CachedOptions{Size: cfg.TokenCacheSize})
		if err != nil {
			return fmt.Errorf("token cache: %w", err)
		}
		if err := m.WatchCache(cached); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		tokens = cached
	}
	// DPoP proofs are remembered in memory (verify.NewReplayCache): a
	// replica does not see the proofs another accepted, which is what a
	// shared ReplayCache is for.
	dpop, err := verify.NewDPoP(verify.DPoPOptions{Now: now})
	if err != nil {
		return fmt.Errorf("DPoP: %w", err)
	}
	var draining atomic.Bool
	handler, err := server.New(server.Options{
		Verifier:         tokens,
		Keys:             keys,
		DPoP:             dpop,
		RequireDPoP:      cfg.RequireDPoP,
		ShuttingDown:     draining.Load,
		Issuer:           cfg.Issuer,
		Audience:         cfg.Audience,
		PublicURL:        cfg.PublicURL,
		TokenURL:         cfg.TokenEndpoint(),
		AuthorizationURL: cfg.AuthorizationEndpoint(),
		DocsClientID:     cfg.DocsClientID,
		TrustedProxies:   cfg.Proxies(),
		Logger:           logger,
		Now:              now,
		Metrics:          m,
		MetricsElsewhere: cfg.MetricsAddr != "",
		TracerProvider:   tp,
	})
	if err != nil {
		return err
	}
	stopMetrics, err := serveMetrics(cfg.MetricsAddr, m.Handler(), logger)
	if err != nil {
		return fmt.Errorf("metrics address: %w", err)
	}
	// Deferred first, so it runs last: /metrics answers while draining.
	defer func() {
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		stopMetrics(mctx)
	}()

	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	runCtx, stopKeys := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stopKeys()
	wg.Go(func() { keys.Run(runCtx) })
	wg.Go(func() { refreshOnHangup(runCtx, keys, logger) })

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("resource server listening", "addr", ln.Addr().String(),
		"issuer", cfg.Issuer, "audience", cfg.Audience, "public_url", cfg.PublicURL,
		"token_cache_size", cfg.TokenCacheSize)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	draining.Store(true)
	if err := drain(cfg.ShutdownDrain, served, logger); err != nil {
		return err
	}
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}
