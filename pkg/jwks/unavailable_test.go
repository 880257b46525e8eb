package jwks

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

// wantUnavailable fails t unless err says the key set cannot be had now,
// and not that the key is unknown.
func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrUnknownKey) {
		t.Fatalf("%s: err = %v, want ErrUnavailable and not ErrUnknownKey", what, err)
	}
}

// TestRemoteUnavailableIsNotUnknown: while the key set cannot be fetched,
// a key id that is not cached is unavailable, not unknown, before any set
// was loaded and during the cooldown after a failed fetch; once a set is
// fetched without it, it is unknown.
func TestRemoteUnavailableIsNotUnknown(t *testing.T) {
	k := testKeys()
	srv := newJWKSServer(t, nil)
	srv.Serve(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	clock := newFakeClock()
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: clock.Now, Cooldown: time.Minute})

	_, err := r.Key(t.Context(), "new")
	wantUnavailable(t, "before any key set was loaded", err)
	_, err = r.Key(t.Context(), "new")
	wantUnavailable(t, "during the cooldown after a failed fetch", err)
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1: the cooldown holds after a failure too", n)
	}

	// The issuer is back: after a failed fetch the cooldown is a second,
	// not a minute, so the next unknown key id fetches soon.
	srv.Serve(okJSON(setJSON(t, mustJWK(t, "old", "ES256", &k.p256.PublicKey)), ""))
	clock.Add(time.Second)
	if _, err := r.Key(t.Context(), "new"); !errors.Is(err, ErrUnknownKey) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("a fetched set without the key: err = %v, want ErrUnknownKey", err)
	}
	clock.Add(time.Second)
	if _, err := r.Key(t.Context(), "new"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("during the cooldown after a good fetch: err = %v, want ErrUnknownKey", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2: the cooldown after a good fetch is the whole minute", n)
	}
}

// TestRemoteWaitIsBounded: a slow key endpoint holds no request longer
// than MaxWait; the fetch goes on, and once it ends its keys serve the
// requests that come after, with no second fetch.
func TestRemoteWaitIsBounded(t *testing.T) {
	k := testKeys()
	body := setJSON(t, mustJWK(t, "new", "ES256", &k.p256.PublicKey))
	srv := newJWKSServer(t, nil)
	answer := make(chan struct{})
	srv.Serve(func(w http.ResponseWriter, r *http.Request) {
		<-answer
		okJSON(body, "")(w, r)
	})
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, MaxWait: 100 * time.Millisecond})
	_, err := r.Key(t.Context(), "new")
	wantUnavailable(t, "while the endpoint is slow", err)
	// The endpoint has not answered: Key gave up at MaxWait, not when the
	// fetch ended (the HTTP timeout would end it too).
	r.mu.Lock()
	running := r.inflight != nil
	r.mu.Unlock()
	if !running {
		t.Fatal("Key returned only once the fetch had ended, not at MaxWait")
	}
	close(answer)
	deadline := time.Now().Add(10 * time.Second)
	for !r.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("the fetch the request gave up on never completed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := r.Key(t.Context(), "new"); err != nil {
		t.Fatalf("after the slow fetch completed: %v", err)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}

// TestRemoteOneFetchForAllWaiters: many requests for an unknown key id at
// once share one fetch.
func TestRemoteOneFetchForAllWaiters(t *testing.T) {
	k := testKeys()
	body := setJSON(t, mustJWK(t, "new", "ES256", &k.p256.PublicKey))
	srv := newJWKSServer(t, nil)
	srv.Serve(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		okJSON(body, "")(w, r)
	})
	r := newTestRemote(t, RemoteOptions{URL: srv.URL})
	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = r.Key(t.Context(), "new") })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := srv.hits.Load(); got != 1 {
		t.Fatalf("%d concurrent requests for one key made %d fetches, want 1", n, got)
	}
}
