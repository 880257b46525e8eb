package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/clientauth"
	"github.com/fastsafe/fastsafe/authserver/internal/clientip"
	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/throttle"
	"github.com/fastsafe/fastsafe/authserver/internal/token"
	"github.com/fastsafe/fastsafe/authserver/internal/tokenstate"
)

// cleanupInterval is how often expired refresh tokens and revocations are
// deleted.
const cleanupInterval = 10 * time.Minute

// Server is the authorization server, assembled.
type Server struct {
	cfg     config.Config
	store   store.Store
	keyring *signing.Keyring
	logger  *slog.Logger
	now     func() time.Time
	handler http.Handler
	// draining is set once shutdown begins, so /readyz turns unready
	// before the listener closes.
	draining atomic.Bool
}

// New assembles the server on st: it loads (or, on first start, creates)
// the signing keys and builds the HTTP surface.
func New(ctx context.Context, cfg config.Config, st store.Store, logger *slog.Logger, now func() time.Time, opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	hasher, err := password.NewHasher(cfg.BcryptCost, cfg.BcryptConcurrency)
	if err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	keyring := signing.NewKeyring(st, signing.Options{
		Algorithm:      cfg.SigningAlg,
		TokenTTL:       cfg.AccessTokenTTL,
		ReloadInterval: o.keyReloadInterval,
		Now:            now,
		Logger:         logger,
	})
	if err := keyring.Load(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	s := &Server{cfg: cfg, store: st, keyring: keyring, logger: logger, now: now}
	guard, err := newGuard(cfg, logger, now)
	if err != nil {
		return nil, err
	}
	clients := clientauth.New(st, guard)
	inspector := tokenstate.NewInspector(cfg.Issuer, st, keyring, now)
	s.handler = s.routes(handlers{
		token: token.NewHandler(token.Options{
			Issuer:                  cfg.Issuer,
			AccessTokenTTL:          cfg.AccessTokenTTL,
			RefreshTokenTTL:         cfg.RefreshTokenTTL,
			RefreshTokenAbsoluteTTL: cfg.RefreshTokenAbsoluteTTL,
			Now:                     now,
			Logger:                  logger,
			Throttle:                guard,
		}, st, clients, hasher, keyring),
		introspect: tokenstate.Introspection(inspector, clients, logger),
		revoke:     tokenstate.Revocation(inspector, clients, st, now, logger),
	})
	return s, nil
}

// newGuard builds the brute-force defence of the token, introspection and
// revocation endpoints from the settings.
func newGuard(cfg config.Config, logger *slog.Logger, now func() time.Time) (*throttle.Guard, error) {
	proxies, err := clientip.ParseTrusted(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	return throttle.New(throttle.Options{
		Account:   throttle.Policy{MaxFailures: cfg.LoginMaxFailures, Lockout: cfg.LoginLockout},
		Client:    throttle.Policy{MaxFailures: cfg.ClientMaxFailures, Lockout: cfg.LoginLockout},
		Address:   throttle.Policy{MaxFailures: cfg.AddressMaxFailures, Lockout: cfg.LoginLockout},
		Addresses: clientip.New(proxies),
		Now:       now,
		Logger:    logger,
	}), nil
}

// Handler is the server's whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers requests on ln until ctx is cancelled, keeping keys fresh
// and expired records cleaned up, then drains in-flight requests for up
// to the configured shutdown timeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	go s.keyring.Run(bg)
	go s.cleanup(bg)

	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.logger.Info("authorization server listening", "addr", ln.Addr().String(), "issuer", s.cfg.Issuer)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.logger.Info("shutting down", "grace", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) cleanup(ctx context.Context) {
	t := time.NewTicker(cleanupInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := s.store.DeleteExpired(ctx, s.now())
			if err != nil {
				s.logger.Warn("cleanup of expired records failed", "err", err)
			} else if n > 0 {
				s.logger.Info("expired records removed", "count", n)
			}
		}
	}
}

// Run serves the authorization server on cfg.Addr until ctx is cancelled,
// then shuts down gracefully within cfg.ShutdownTimeout.
func Run(ctx context.Context, cfg config.Config, st store.Store, logger *slog.Logger) error {
	s, err := New(ctx, cfg, st, logger, time.Now)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}
