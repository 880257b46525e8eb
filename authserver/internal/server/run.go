package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/authorize"
	"github.com/fastsafe/fastsafe/authserver/internal/clientauth"
	"github.com/fastsafe/fastsafe/authserver/internal/clientip"
	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/discovery"
	"github.com/fastsafe/fastsafe/authserver/internal/login"
	"github.com/fastsafe/fastsafe/authserver/internal/metrics"
	"github.com/fastsafe/fastsafe/authserver/internal/pages"
	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/registration"
	"github.com/fastsafe/fastsafe/authserver/internal/session"
	"github.com/fastsafe/fastsafe/authserver/internal/signing"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/throttle"
	"github.com/fastsafe/fastsafe/authserver/internal/token"
	"github.com/fastsafe/fastsafe/authserver/internal/tokenstate"
	"github.com/fastsafe/fastsafe/authserver/internal/userinfo"
	"github.com/fastsafe/fastsafe/pkg/requestid"
	"github.com/fastsafe/fastsafe/pkg/verify"
	"github.com/prometheus/client_golang/prometheus"
)

// Server is the authorization server, assembled.
type Server struct {
	cfg     config.Config
	store   store.Store
	keyring *signing.Keyring
	// rotator replaces the signing key on schedule; nil when
	// cfg.KeyRotation is zero.
	rotator *signing.Rotator
	logger  *slog.Logger
	now     func() time.Time
	handler http.Handler
	metrics *metrics.Metrics
	// draining is set once shutdown begins, so /readyz turns unready
	// before the listener closes.
	draining atomic.Bool
	// ready checks that the store takes writes, for /readyz.
	ready *readiness
	// guard is the brute-force defence; with counts shared by replicas it
	// keeps its view of the keys failing elsewhere while serving.
	guard *throttle.Guard
}

// New assembles the server on st: it loads (or, on first start, creates)
// the signing keys and builds the HTTP surface.
func New(ctx context.Context, cfg config.Config, st store.Store, logger *slog.Logger, now func() time.Time, opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	// Every log line written with a request's context carries its id.
	logger = requestid.WithLogger(logger)
	reg := o.registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m, err := metrics.New(reg, now, metrics.Tracing(o.tracerProvider))
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	shared := sharedByReplicas(st)
	st = m.Store(st)
	hasher, err := password.NewHasher(cfg.BcryptCost, cfg.BcryptConcurrency, password.WithObserver(now, m.ObserveBcrypt))
	if err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	keyring := signing.NewKeyring(st, signing.Options{
		Algorithm:      cfg.SigningAlg,
		TokenTTL:       cfg.AccessTokenTTL,
		ReloadInterval: o.keyReloadInterval,
		Now:            now,
		Logger:         logger,
		Revoked:        m.KeyRevoked,
	})
	if err := keyring.Load(ctx); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	if err := m.WatchKeys(keyring); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &Server{cfg: cfg, store: st, keyring: keyring, logger: logger, now: now, metrics: m,
		ready: &readiness{store: st, now: now, logger: logger, writable: m.StoreWritable}}
	if cfg.KeyRotation > 0 {
		if s.rotator, err = newRotator(cfg, st, keyring, logger, now, o.keyRotationCheckInterval, m.KeyRotated); err != nil {
			return nil, err
		}
	}
	var records throttle.Records
	if shared {
		records = st
	}
	guard, err := newGuard(cfg, records, logger, now, m.Throttled)
	if err != nil {
		return nil, err
	}
	s.guard = guard
	succKey, err := successorKey(ctx, st, now())
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(cfg.Issuer, "/")
	clients := clientauth.New(st, guard, &clientauth.Assertions{
		Issuer:        cfg.Issuer,
		TokenEndpoint: base + discovery.PathToken,
		Endpoints:     []string{base + discovery.PathIntrospect, base + discovery.PathRevoke},
		Store:         st,
		Keys:          clientauth.NewKeySets(nil, now),
		Now:           now,
	})
	inspector := tokenstate.NewInspector(cfg.Issuer, st, keyring, now)
	dpop, err := newDPoP(ctx, cfg, st, now)
	if err != nil {
		return nil, err
	}
	tokens := token.NewHandler(token.Options{
		Issuer:                  cfg.Issuer,
		AccessTokenTTL:          cfg.AccessTokenTTL,
		RefreshTokenTTL:         cfg.RefreshTokenTTL,
		RefreshTokenAbsoluteTTL: cfg.RefreshTokenAbsoluteTTL,
		RefreshTokenGrace:       cfg.RefreshTokenGrace,
		RefreshSuccessorKey:     succKey,
		Now:                     now,
		Logger:                  logger,
		Throttle:                guard,
		Observer:                m,
		SubjectTokens:           inspector,
		DPoP:                    dpop,
	}, st, clients, hasher, keyring)
	authz, err := newAuthorize(cfg, st, tokens, hasher, guard, keyring, logger, now)
	if err != nil {
		return nil, err
	}
	proxies, err := clientip.ParseTrusted(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	s.handler = s.routes(handlers{
		token:      tokens,
		introspect: tokenstate.Introspection(inspector, clients, logger, m),
		revoke:     tokenstate.Revocation(inspector, clients, st, now, logger, m),
		authorize:  authz,
		userinfo:   userinfo.New(inspector, st, logger),
		registration: registration.New(registration.Options{
			Issuer: cfg.Issuer,
			Mode:   cfg.Registration,
			Policy: registration.Policy{
				Grants:   cfg.RegistrationGrants,
				Scopes:   cfg.RegistrationScopes,
				Audience: cfg.RegistrationAudiences,
			},
			MaxPerAddress: cfg.RegistrationMaxPerAddress,
			Now:           now,
			Logger:        logger,
		}, st, clientip.New(proxies)),
	})
	return s, nil
}

// sharedByReplicas reports whether st is a database several replicas
// share (PostgreSQL), where the brute-force limits keep their counts, so
// that N replicas allow what one allows. A SQLite file serves one server,
// which keeps them in memory.
func sharedByReplicas(st store.Store) bool {
	b, ok := st.(interface{ Backend() string })
	return ok && b.Backend() == "postgres"
}

// codeTTL is how long an authorization code is valid (RFC 6749 §4.1.2
// recommends at most ten minutes; a minute is plenty for a redirect).
const codeTTL = time.Minute

// newAuthorize builds the authorization endpoint and its pages. Its
// sign-in form checks passwords as the password grant does, with the same
// limits on guessing (guard), and its codes come from the token
// endpoint's engine.
func newAuthorize(cfg config.Config, st store.Store, codes authorize.Codes, hasher *password.Hasher,
	guard *throttle.Guard, keys authorize.Keys, logger *slog.Logger, now func() time.Time) (*authorize.Handler, error) {
	renderer, err := pages.New(logger)
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	cookies, err := session.NewCookies(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("session cookies: %w", err)
	}
	return authorize.New(authorize.Options{
		Issuer:     cfg.Issuer,
		SessionTTL: cfg.SessionTTL,
		CodeTTL:    codeTTL,
		Now:        now,
		Logger:     logger,
	}, st, codes, login.NewChecker(st, hasher, guard, logger), guard, keys, renderer, cookies), nil
}

// newRotator builds the scheduled rotation of the signing keys. A key it
// creates is loaded into keyring at once, so that this replica publishes
// it without waiting for the next reload, and counted by rotated.
func newRotator(cfg config.Config, st signing.RotationStore, keyring *signing.Keyring, logger *slog.Logger,
	now func() time.Time, checkEvery time.Duration, rotated func(trigger string)) (*signing.Rotator, error) {
	r, err := signing.NewRotator(st, signing.RotatorOptions{
		Period:        cfg.KeyRotation,
		ActivateAfter: cfg.KeyActivateAfter,
		Algorithm:     cfg.SigningAlg,
		TokenTTL:      cfg.AccessTokenTTL,
		CheckInterval: checkEvery,
		Now:           now,
		Logger:        logger,
		Rotated: func(ctx context.Context, _ store.SigningKey) {
			rotated("schedule")
			if err := keyring.Load(ctx); err != nil {
				logger.Warn("signing: loading the keys after a scheduled rotation failed; the next reload retries", "err", err)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("scheduled key rotation: %w", err)
	}
	return r, nil
}

// dpopNonceLifetime is how long a DPoP nonce is issued; each is accepted
// for up to twice as long.
const dpopNonceLifetime = 5 * time.Minute

// newDPoP builds the verifier of the DPoP proofs of token requests. Proofs
// are remembered in the store, so that a proof replayed to another replica
// is refused too; the nonces, when cfg.DPoPNonce requires them, come from
// a secret every replica reads from the store.
func newDPoP(ctx context.Context, cfg config.Config, st store.Store, now func() time.Time) (*verify.DPoPVerifier, error) {
	opts := verify.DPoPOptions{Now: now, Replay: storeReplay{st, now}}
	if cfg.DPoPNonce {
		secret, err := st.Secret(ctx, "dpop-nonce", []byte(rand.Text()+rand.Text()))
		if err != nil {
			return nil, fmt.Errorf("DPoP nonce secret: %w", err)
		}
		if opts.Nonces, err = verify.NewNonces(secret, dpopNonceLifetime, now); err != nil {
			return nil, err
		}
	}
	return verify.NewDPoP(opts)
}

// storeReplay is the store as the replay cache of DPoP proofs.
type storeReplay struct {
	st  store.Store
	now func() time.Time
}

func (r storeReplay) UseOnce(ctx context.Context, key string, expiresAt time.Time) (bool, error) {
	return r.st.UseOnce(ctx, key, r.now(), expiresAt)
}

// newGuard builds the brute-force defence of the token, introspection and
// revocation endpoints from the settings, with its failure counts in
// records when replicas share them (nil: in memory).
func newGuard(cfg config.Config, records throttle.Records, logger *slog.Logger, now func() time.Time, throttled func(kind string)) (*throttle.Guard, error) {
	proxies, err := clientip.ParseTrusted(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	return throttle.New(throttle.Options{
		Account:   throttle.Policy{MaxFailures: cfg.LoginMaxFailures, Lockout: cfg.LoginLockout},
		Client:    throttle.Policy{MaxFailures: cfg.ClientMaxFailures, Lockout: cfg.LoginLockout},
		Address:   throttle.Policy{MaxFailures: cfg.AddressMaxFailures, Lockout: cfg.LoginLockout},
		Addresses: clientip.New(proxies),
		Records:   records,
		Now:       now,
		Logger:    logger,
		Throttled: throttled,
	}), nil
}

// Handler is the server's whole HTTP surface, /metrics included unless
// the configuration gives it an address of its own.
func (s *Server) Handler() http.Handler { return s.handler }

// MetricsHandler serves the server's metrics in the Prometheus exposition
// format; Handler serves it at /metrics too unless cfg.MetricsAddr is set.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.Handler() }

// Metrics returns the server's metrics, for parts run beside it (such as
// scheduled key rotation) that count what they do.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Serve answers requests on ln until ctx is cancelled, keeping keys fresh
// (and rotating them on schedule, if configured) and expired records
// cleaned up. When ctx is cancelled it turns unready (/readyz answers 503)
// and goes on serving for cfg.ShutdownDrain, so that load balancers stop
// sending requests, then stops accepting connections and waits up to
// cfg.ShutdownTimeout for the requests it accepted.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stopMetrics, err := s.serveMetrics()
	if err != nil {
		return fmt.Errorf("metrics address: %w", err)
	}
	// Deferred first, so it runs last: /metrics answers while draining.
	defer func() {
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		stopMetrics(mctx)
	}()
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	go s.keyring.Run(bg)
	go s.cleanup(bg)
	go s.checkpoint(bg)
	go s.watchStore(bg)
	go s.guard.Run(bg)
	if s.rotator != nil {
		go s.rotator.Run(bg)
	}

	srv := &http.Server{
		Handler:           s.closeWhileDraining(s.handler),
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
	s.drain(errc)
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
	every(ctx, s.cfg.CleanupInterval, func() {
		n, err := s.store.DeleteExpired(ctx, s.now())
		if err != nil {
			s.logger.Warn("cleanup of expired records failed", "err", err)
		} else if n > 0 {
			s.logger.Info("expired records removed", "count", n)
		}
		s.deleteUnusedClients(ctx)
	})
}

// every calls fn every d until ctx is done.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// deleteUnusedClients deletes the registered clients that never obtained a
// token within cfg.RegistrationUnusedTTL of registering.
func (s *Server) deleteUnusedClients(ctx context.Context) {
	if s.cfg.Registration == registration.ModeOff || s.cfg.RegistrationUnusedTTL <= 0 {
		return
	}
	n, err := s.store.DeleteUnusedClients(ctx, s.now().Add(-s.cfg.RegistrationUnusedTTL))
	if err != nil {
		s.logger.Warn("cleanup of unused registered clients failed", "err", err)
	} else if n > 0 {
		s.logger.Info("unused registered clients removed", "audit", true, "count", n)
	}
}

// Run serves the authorization server on cfg.Addr until ctx is cancelled,
// then shuts down gracefully within cfg.ShutdownTimeout.
func Run(ctx context.Context, cfg config.Config, st store.Store, logger *slog.Logger, opts ...Option) error {
	s, err := New(ctx, cfg, st, logger, time.Now, opts...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}
