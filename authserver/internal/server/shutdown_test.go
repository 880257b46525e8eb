package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/server"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// gatedStore holds every GetClient call until release is closed, reporting
// each on entered: requests that authenticate a client are then in flight
// for as long as the test wants.
type gatedStore struct {
	store.Store
	entered chan struct{}
	release chan struct{}
}

func (g *gatedStore) GetClient(ctx context.Context, id string) (store.Client, error) {
	g.entered <- struct{}{}
	<-g.release
	return g.Store.GetClient(ctx, id)
}

// TestShutdownDrainsAcceptedRequests cancels a server while requests are
// in flight and others keep arriving, on kept-alive connections, until a
// load balancer's health check sees /readyz turn unready. Every request
// must complete with its full answer: the server turns unready, keeps
// serving for the drain, stops accepting connections, and then waits for
// the requests it accepted.
func TestShutdownDrainsAcceptedRequests(t *testing.T) {
	const inFlight = 16
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, t.TempDir()+"/auth.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	seed(t, st, time.Now())
	gate := &gatedStore{Store: st, entered: make(chan struct{}, inFlight), release: make(chan struct{})}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	cfg := config.Defaults()
	cfg.Issuer = base
	cfg.BcryptCost = 5
	// Longer than the load balancer below takes to notice, however slow
	// the machine.
	cfg.ShutdownDrain = 3 * time.Second
	cfg.ShutdownTimeout = patience // the test decides when the requests end
	logs := &logbuf.Buffer{}
	s, err := server.New(ctx, cfg, gate, slog.New(slog.NewJSONHandler(logs, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(srvCtx, ln) }()

	// Load: requests on kept-alive connections, as from a load balancer,
	// until its health check takes the server out of rotation.
	var (
		loadOK        atomic.Int64
		loadWG        sync.WaitGroup
		loadErrs      = make(chan error, 64)
		outOfRotation atomic.Bool
	)
	for range 4 {
		client := &http.Client{Transport: &http.Transport{}, Timeout: patience}
		loadWG.Go(func() {
			defer client.CloseIdleConnections()
			for !outOfRotation.Load() {
				resp, err := client.Get(base + "/.well-known/jwks.json")
				if err != nil {
					loadErrs <- err
					return
				}
				var set struct{ Keys []json.RawMessage }
				err = json.NewDecoder(resp.Body).Decode(&set)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || len(set.Keys) == 0 {
					loadErrs <- errors.New("JWKS: status " + resp.Status + ", incomplete body")
					return
				}
				loadOK.Add(1)
			}
		})
	}

	// In flight: token requests held inside the server, each on a
	// connection of its own.
	type result struct {
		status int
		token  string
		err    error
	}
	results := make(chan result, inFlight)
	form := url.Values{"grant_type": {"client_credentials"}}
	for range inFlight {
		go func() {
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: patience}
			req, _ := http.NewRequest(http.MethodPost, base+"/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth("svc", url.QueryEscape(svcSecret))
			resp, err := client.Do(req)
			if err != nil {
				results <- result{err: err}
				return
			}
			defer resp.Body.Close()
			var body struct {
				AccessToken string `json:"access_token"`
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			results <- result{status: resp.StatusCode, token: body.AccessToken, err: err}
		}()
	}
	for range inFlight {
		<-gate.entered
	}
	eventually(t, "load served", func() bool { return loadOK.Load() > 0 })

	cancel() // SIGTERM

	// The load balancer's health check: the server stays in rotation
	// until /readyz answers 503, which it does while still serving, and
	// with Connection: close so that clients reconnect elsewhere.
	probe := &http.Client{Transport: &http.Transport{}, Timeout: patience}
	eventually(t, "/readyz unready", func() bool {
		resp, err := probe.Get(base + "/readyz")
		if err != nil {
			t.Fatalf("GET /readyz while draining: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			return false
		case http.StatusServiceUnavailable:
			if !resp.Close {
				t.Errorf("GET /readyz while draining: no Connection: close")
			}
			return true
		}
		t.Fatalf("GET /readyz: %s %s", resp.Status, body)
		return false
	})
	outOfRotation.Store(true)
	probe.CloseIdleConnections()
	loadWG.Wait()

	// After the drain the listener closes, while the accepted requests
	// are still held.
	eventually(t, "new connections refused", func() bool {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case r := <-results:
		t.Fatalf("a held request finished before it was released: %+v", r)
	case err := <-served:
		t.Fatalf("Serve returned with requests in flight: %v", err)
	default:
	}

	close(gate.release)
	for range inFlight {
		r := <-results
		if r.err != nil || r.status != http.StatusOK || r.token == "" {
			t.Errorf("request in flight at shutdown: status %d, token %t, err %v; want 200 with a token", r.status, r.token != "", r.err)
		}
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	close(loadErrs)
	for err := range loadErrs {
		t.Errorf("an accepted request failed: %v", err)
	}
	t.Logf("%d load requests served", loadOK.Load())
	if !strings.Contains(logs.String(), `"msg":"draining: unready, still serving"`) {
		t.Errorf("the drain was not logged:\n%s", logs.String())
	}
}
