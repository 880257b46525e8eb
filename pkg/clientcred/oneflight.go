package clientcred

import (
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// oneFlight caches the token of a source and renews it early, making one
// token request at a time for all its callers: callers that need a token
// while a request runs wait for that request and share its outcome, the
// token or the error, instead of each making one of their own in turn. A
// token endpoint that is down or slow then sees one request per renewal,
// however many goroutines need a token, and no caller waits for more than
// the request in flight.
type oneFlight struct {
	src   oauth2.TokenSource // makes a token request each call
	early time.Duration      // renew this long before expiry
	now   func() time.Time

	mu     sync.Mutex
	tok    *oauth2.Token // the cached token; nil before the first
	flight *flight       // the request running, if any
}

// flight is a token request that callers wait on.
type flight struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

var _ oauth2.TokenSource = (*oneFlight)(nil)

// Token returns the cached token while it is fresh, and otherwise the
// outcome of the one token request running, starting it if none is.
func (s *oneFlight) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	if s.fresh(s.tok) {
		t := s.tok
		s.mu.Unlock()
		return t, nil
	}
	f := s.flight
	if f != nil {
		s.mu.Unlock()
		<-f.done
		return f.tok, f.err
	}
	f = &flight{done: make(chan struct{})}
	s.flight = f
	s.mu.Unlock()

	f.tok, f.err = s.src.Token()
	s.mu.Lock()
	if f.err == nil {
		s.tok = f.tok
	}
	s.flight = nil
	s.mu.Unlock()
	close(f.done)
	return f.tok, f.err
}

// fresh reports whether t may still be used: it has an access token that
// does not expire within the early-expiry margin.
func (s *oneFlight) fresh(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || s.now().Add(s.early).Before(t.Expiry)
}
