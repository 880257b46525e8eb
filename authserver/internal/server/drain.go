package server

import (
	"net/http"
	"time"
)

// drain goes on serving for cfg.ShutdownDrain after shutdown has begun:
// /readyz answers 503 meanwhile, so that load balancers take the server out
// of rotation while it still serves the requests they send until they
// notice. It returns early if the server stops on its own, leaving its
// error in errc.
func (s *Server) drain(errc chan error) {
	if s.cfg.ShutdownDrain <= 0 {
		return
	}
	s.logger.Info("draining: unready, still serving", "drain", s.cfg.ShutdownDrain)
	t := time.NewTimer(s.cfg.ShutdownDrain)
	defer t.Stop()
	select {
	case <-t.C:
	case err := <-errc:
		errc <- err
	}
}

// closeWhileDraining answers with "Connection: close" once shutdown has
// begun, so that every kept-alive connection closes after its next
// response and its client reconnects, through the load balancer, to
// another server. Idle connections are left alone until the drain ends:
// closing them at once would fail the requests their clients are sending
// on them that moment.
func (s *Server) closeWhileDraining(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}
