package jwks

import (
	"net/http"
	"testing"
	"time"
)

func TestRemoteStats(t *testing.T) {
	clk := newFakeClock()
	body := setJSON(t, goodSet(t)...)
	srv := newJWKSServer(t, body)
	r := newTestRemote(t, RemoteOptions{URL: srv.URL, Now: clk.Now})
	if s := r.Stats(); s != (RemoteStats{}) {
		t.Fatalf("Stats before any fetch = %+v, want zero", s)
	}
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	first := clk.Now()
	s := r.Stats()
	if s.Fetches != 1 || s.FetchErrors != 0 || s.Keys == 0 || !s.LastSuccess.Equal(first) {
		t.Fatalf("Stats after a good fetch = %+v, want 1 fetch, keys, last success %v", s, first)
	}
	keys := s.Keys

	clk.Add(time.Minute)
	srv.Serve(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	if err := r.Refresh(t.Context()); err == nil {
		t.Fatal("Refresh succeeded on a 500")
	}
	s = r.Stats()
	if s.Fetches != 1 || s.FetchErrors != 1 || s.Keys != keys || !s.LastSuccess.Equal(first) {
		t.Errorf("Stats after a failed fetch = %+v, want 1 fetch, 1 error, %d keys, last success %v", s, keys, first)
	}

	srv.Serve(okJSON(body, ""))
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s = r.Stats(); s.Fetches != 2 || !s.LastSuccess.Equal(clk.Now()) {
		t.Errorf("Stats after a second good fetch = %+v, want 2 fetches, last success %v", s, clk.Now())
	}
}
