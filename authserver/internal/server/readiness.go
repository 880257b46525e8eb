package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// Readiness checks.
const (
	// readinessTimeout bounds a store check: a store that cannot write
	// within it (a lock held by another process, a database that does not
	// answer) is not ready.
	readinessTimeout = 2 * time.Second
	// checkpointEvery is how often the store's write-ahead log is
	// checkpointed and truncated, so that it gives back the space it took.
	checkpointEvery = 30 * time.Second
	// checkStoreEvery is how often the store is checked without a probe,
	// so that the log and fastsafe_auth_store_writable tell when it stops
	// taking writes even where nothing probes /readyz.
	checkStoreEvery = 10 * time.Second
)

// readiness tells whether the store can serve: it answers and takes writes.
// A full disk, a read-only file system or standby, a lock held beyond the
// busy timeout or a database file deleted under the server all make it
// unready, and it turns ready again by itself once the store can write.
// Each check is one small write; probes that arrive while one runs share
// it.
type readiness struct {
	store  store.Store
	now    func() time.Time
	logger *slog.Logger
	// writable is told the outcome of each check, for the metrics.
	writable func(bool)

	mu       sync.Mutex
	inflight *readyCheck
	last     error // the outcome of the last check
	checked  bool  // a check has run
}

// readyCheck is a check in progress that probes wait on.
type readyCheck struct {
	done chan struct{}
	err  error
}

// check returns nil if the store is ready, or why not.
func (r *readiness) check(ctx context.Context) error {
	r.mu.Lock()
	c := r.inflight
	if c == nil {
		c = &readyCheck{done: make(chan struct{})}
		r.inflight = c
		r.mu.Unlock()
		c.err = r.run(ctx)
		r.mu.Lock()
		r.inflight = nil
		r.mu.Unlock()
		close(c.done)
		return c.err
	}
	r.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run checks the store, and logs when its state changes.
func (r *readiness) run(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readinessTimeout)
	defer cancel()
	err := r.store.Ping(cctx)
	if err == nil {
		err = r.store.CheckWrite(cctx, r.now())
	}
	r.mu.Lock()
	last, checked := r.last, r.checked
	r.last, r.checked = err, true
	r.mu.Unlock()
	switch {
	case err != nil && (last == nil || !checked):
		r.logger.ErrorContext(ctx, "store cannot write; unready until it can", "cause", cause(err), "err", err)
	case err == nil && last != nil:
		r.logger.InfoContext(ctx, "store writes again; ready")
	}
	r.writable(err == nil)
	return err
}

// cause names in a few words why the store cannot write.
func cause(err error) string {
	for _, c := range []error{store.ErrDiskFull, store.ErrReadOnly, store.ErrLocked, store.ErrMissing} {
		if errors.Is(err, c) {
			return c.Error()
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within " + readinessTimeout.String()
	}
	return "unavailable"
}

// readyz is ready while shutdown has not begun and the store answers and
// takes writes. An unready answer says why in a few words (such as "store
// cannot write: disk full"), never with paths or addresses.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeStatus(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	if err := s.ready.check(r.Context()); err != nil {
		writeStatus(w, http.StatusServiceUnavailable, "store cannot write: "+cause(err))
		return
	}
	writeStatus(w, http.StatusOK, "ready")
}

// checkpoint checkpoints the store every checkpointEvery until ctx is done.
func (s *Server) checkpoint(ctx context.Context) {
	every(ctx, checkpointEvery, func() {
		if err := s.store.Checkpoint(ctx); err != nil && ctx.Err() == nil {
			s.logger.Warn("checkpoint of the store's write-ahead log failed; the next one retries", "cause", cause(err), "err", err)
		}
	})
}

// watchStore checks the store at once and every checkStoreEvery until ctx
// is done.
func (s *Server) watchStore(ctx context.Context) {
	_ = s.ready.check(ctx)
	every(ctx, checkStoreEvery, func() { _ = s.ready.check(ctx) })
}
