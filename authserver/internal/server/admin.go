package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// serveMetrics serves /metrics on cfg.MetricsAddr, when it is set, until
// the returned stop is called. With no separate address it does nothing.
func (s *Server) serveMetrics() (stop func(context.Context), err error) {
	if s.cfg.MetricsAddr == "" {
		return func(context.Context) {}, nil
	}
	ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return nil, err
	}
	return s.serveMetricsOn(ln), nil
}

// serveMetricsOn serves /metrics (and 404 elsewhere) on ln until the
// returned stop is called.
func (s *Server) serveMetricsOn(ln net.Listener) (stop func(context.Context)) {
	mux := http.NewServeMux()
	mux.Handle(MetricsPath, getOnly(s.metrics.Handler()))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("metrics listener failed", "err", err)
		}
	}()
	s.logger.Info("metrics listening", "addr", ln.Addr().String(), "path", MetricsPath)
	return func(ctx context.Context) {
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		<-done
	}
}
