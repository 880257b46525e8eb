package clientcred_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/fastsafe/fastsafe/pkg/clientcred"
	"github.com/fastsafe/fastsafe/pkg/requestid"
)

// TestClientPassesRequestID checks that the X-Request-ID of the context
// of each call reaches the called service, and that of the context given to
// Client reaches the token endpoint.
func TestClientPassesRequestID(t *testing.T) {
	te := newTokenEndpoint(t, 3600)
	var tokenIDs []string
	var mu sync.Mutex
	te.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokenIDs = append(tokenIDs, r.Header.Get(requestid.Header))
		mu.Unlock()
		te.serve(w, r)
	})
	var apiIDs []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		apiIDs = append(apiIDs, r.Header.Get(requestid.Header))
		mu.Unlock()
	}))
	t.Cleanup(api.Close)

	tests := []struct {
		name       string
		httpClient *http.Client
	}{
		{"default HTTP client", nil},
		{"configured HTTP client", &http.Client{Transport: http.DefaultTransport}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			tokenIDs, apiIDs = nil, nil
			mu.Unlock()
			cfg := te.config()
			cfg.HTTPClient = tt.httpClient
			client := clientcred.Client(requestid.NewContext(context.Background(), "source-ctx"), cfg)
			for _, id := range []string{"call-1", "call-2", ""} {
				ctx := context.Background()
				if id != "" {
					ctx = requestid.NewContext(ctx, id)
				}
				get(t, client, ctx, api.URL)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(apiIDs) != 3 || apiIDs[0] != "call-1" || apiIDs[1] != "call-2" || apiIDs[2] != "" {
				t.Errorf("ids at the API = %q, want [call-1 call-2 \"\"]", apiIDs)
			}
			if len(tokenIDs) != 1 || tokenIDs[0] != "source-ctx" {
				t.Errorf("ids at the token endpoint = %q, want [source-ctx]", tokenIDs)
			}
			if tt.httpClient != nil && tt.httpClient.Transport != http.DefaultTransport {
				t.Error("the configured HTTP client was modified")
			}
		})
	}
}

// get sends a GET to url with ctx through client.
func get(t *testing.T, client *http.Client, ctx context.Context, url string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
}
