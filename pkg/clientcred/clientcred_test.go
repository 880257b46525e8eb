package clientcred_test

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/fastsafe/fastsafe/pkg/clientcred"
)

// tokenEndpoint is a client_credentials token endpoint for one client. It
// issues tok-1, tok-2, ... valid for expiresIn seconds.
type tokenEndpoint struct {
	*httptest.Server
	expiresIn int
	hits      atomic.Int64

	mu   sync.Mutex
	last url.Values // form of the last request
}

func newTokenEndpoint(tb testing.TB, expiresIn int) *tokenEndpoint {
	te := &tokenEndpoint{expiresIn: expiresIn}
	te.Server = httptest.NewServer(http.HandlerFunc(te.serve))
	tb.Cleanup(te.Close)
	return te
}

func (te *tokenEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if r.Method != http.MethodPost || !ok || id != "reports" ||
		subtle.ConstantTimeCompare([]byte(secret), []byte("s3cret")) != 1 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	n := te.hits.Add(1)
	te.mu.Lock()
	te.last = r.PostForm
	te.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": fmt.Sprintf("tok-%d", n),
		"token_type":   "Bearer",
		"expires_in":   te.expiresIn,
		"scope":        r.PostForm.Get("scope"),
	})
}

func (te *tokenEndpoint) lastForm() url.Values {
	te.mu.Lock()
	defer te.mu.Unlock()
	return te.last
}

func (te *tokenEndpoint) config() clientcred.Config {
	return clientcred.Config{
		TokenURL:       te.URL + "/token",
		ClientID:       "reports",
		ClientSecret:   "s3cret",
		Scopes:         []string{"search"},
		EndpointParams: url.Values{"resource": {"http://localhost:8000"}},
	}
}

// protectedAPI answers only requests bearing the token "tok-1".
func protectedAPI(tb testing.TB) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer tok-1")) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"message": "found " + r.URL.Query().Get("query") + " in search"})
	}))
	tb.Cleanup(srv.Close)
	return srv, &calls
}

type exampleTB struct{ testing.TB }

func (exampleTB) Cleanup(func()) {}

func ExampleClient() {
	// The authorization server's token endpoint and a protected API.
	tokens := newTokenEndpoint(exampleTB{}, 3600)
	defer tokens.Close()
	api, _ := protectedAPI(exampleTB{})
	defer api.Close()

	client := clientcred.Client(context.Background(), clientcred.Config{
		TokenURL:       tokens.URL + "/token",
		ClientID:       "reports",
		ClientSecret:   "s3cret",
		Scopes:         []string{"search"},
		EndpointParams: url.Values{"resource": {"http://localhost:8000"}},
	})
	for range 2 {
		resp, err := client.Get(api.URL + "/search?query=apple")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%d %s", resp.StatusCode, body)
	}
	fmt.Println("token requests:", tokens.hits.Load())
	// Output:
	// 200 {"message":"found apple in search"}
	// 200 {"message":"found apple in search"}
	// token requests: 1
}

func TestTokenRequest(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	tok, err := clientcred.TokenSource(t.Context(), te.config()).Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "tok-1" || tok.Type() != "Bearer" {
		t.Errorf("token = %+v", tok)
	}
	form := te.lastForm()
	for k, want := range map[string]string{"grant_type": "client_credentials", "scope": "search", "resource": "http://localhost:8000"} {
		if got := form.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if form.Has("client_secret") {
		t.Error("secret sent in the form although HTTP Basic works")
	}
}

func TestConcurrentCallersShareOneToken(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	ts := clientcred.TokenSource(t.Context(), te.config())
	const callers = 100
	var wg sync.WaitGroup
	got := make(chan string, callers)
	for range callers {
		wg.Go(func() {
			tok, err := ts.Token()
			if err != nil {
				t.Error(err)
				return
			}
			got <- tok.AccessToken
		})
	}
	wg.Wait()
	close(got)
	for tok := range got {
		if tok != "tok-1" {
			t.Errorf("a caller got %q", tok)
		}
	}
	if n := te.hits.Load(); n != 1 {
		t.Errorf("%d callers made %d token requests, want 1", callers, n)
	}
}

func TestRenewalBeforeExpiry(t *testing.T) {
	tests := []struct {
		name        string
		expiresIn   int
		earlyExpiry time.Duration
		wantHits    int64 // for three calls
	}{
		// The token is valid for another minute, but that is within the
		// early-expiry margin: every call renews it before it expires.
		{"within the margin", 60, 2 * time.Minute, 3},
		{"within the default margin", 20, 0, 3},
		{"outside the margin", 3600, 2 * time.Minute, 1},
		{"outside the default margin", 3600, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := newTokenEndpoint(t, tt.expiresIn)
			cfg := te.config()
			cfg.EarlyExpiry = tt.earlyExpiry
			ts := clientcred.TokenSource(t.Context(), cfg)
			var got []string
			for range 3 {
				tok, err := ts.Token()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, tok.AccessToken)
			}
			if n := te.hits.Load(); n != tt.wantHits {
				t.Errorf("token requests = %d, want %d", n, tt.wantHits)
			}
			if last := fmt.Sprintf("tok-%d", tt.wantHits); got[2] != last {
				t.Errorf("tokens = %v, the last should be %s", got, last)
			}
		})
	}
}

func TestClientAttachesToken(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	api, calls := protectedAPI(t)
	c := clientcred.Client(t.Context(), te.config())
	for range 3 {
		resp, err := c.Get(api.URL + "/search?query=pear")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != `{"message":"found pear in search"}`+"\n" {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	}
	if calls.Load() != 3 || te.hits.Load() != 1 {
		t.Errorf("api calls %d, token requests %d; want 3 and 1", calls.Load(), te.hits.Load())
	}
}

func TestClientWithBadCredentials(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	api, calls := protectedAPI(t)
	cfg := te.config()
	cfg.ClientSecret = "wrong"
	cfg.AuthStyle = oauth2.AuthStyleInHeader
	_, err := clientcred.Client(t.Context(), cfg).Get(api.URL)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Errorf("err = %v, want a RetrieveError invalid_client", err)
	}
	if calls.Load() != 0 {
		t.Error("the API was called without a token")
	}
}

func TestClientUsesConfiguredHTTPClient(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	api, _ := protectedAPI(t)
	var roundTrips atomic.Int64
	cfg := te.config()
	cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		roundTrips.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	resp, err := clientcred.Client(t.Context(), cfg).Get(api.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := roundTrips.Load(); n != 2 { // the token request and the API call
		t.Errorf("round trips through the configured client = %d, want 2", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
