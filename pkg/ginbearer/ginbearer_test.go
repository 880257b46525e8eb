package ginbearer

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/fastsafe/fastsafe/pkg/bearer"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// fakeVerifier accepts the tokens it knows and refuses others as expired.
type fakeVerifier map[string]*claims.AccessToken

var _ bearer.TokenVerifier = fakeVerifier(nil)

func (f fakeVerifier) Verify(_ context.Context, token string) (*claims.AccessToken, error) {
	if c, ok := f[token]; ok {
		return c, nil
	}
	switch token {
	case "forged":
		return nil, verify.ErrSignature
	case "keys-down":
		return nil, verify.ErrKeysUnavailable
	}
	return nil, fmt.Errorf("wrapped: %w", verify.ErrExpired)
}

var (
	verifier = fakeVerifier{
		"search-token":  {Subject: "alice", ClientID: "web", Scope: "search"},
		"profile-token": {Subject: "bob", ClientID: "svc", Scope: "profile"},
	}
	opts = bearer.Options{Realm: "search-api", ResourceMetadata: "http://localhost:8000/.well-known/oauth-protected-resource"}
)

func search(c *gin.Context) {
	at, ok := Claims(c)
	if !ok {
		c.String(http.StatusInternalServerError, "no claims")
		return
	}
	c.JSON(http.StatusOK, gin.H{"message": "found apple in search", "sub": at.Subject})
}

func ginServer(t *testing.T) *httptest.Server {
	r := gin.New()
	r.GET("/search", Authenticate(verifier, opts), RequireScopes(opts, "search"), search)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

// httpServer is the same route built with package bearer.
func httpServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /search", bearer.Authenticate(verifier, opts)(bearer.RequireScopes(opts, "search")(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			at, _ := bearer.FromContext(r.Context())
			fmt.Fprintf(w, `{"message":"found apple in search","sub":%q}`, at.Subject)
		}))))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type result struct {
	status                                                 int
	challenge, contentType, cacheControl, retryAfter, body string
}

func get(t *testing.T, srv *httptest.Server, authorization ...string) result {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/search?query=apple", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range authorization {
		req.Header.Add("Authorization", a)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header.Get("WWW-Authenticate"), resp.Header.Get("Content-Type"),
		resp.Header.Get("Cache-Control"), resp.Header.Get("Retry-After"), string(b)}
}

const rm = `, resource_metadata="http://localhost:8000/.well-known/oauth-protected-resource"`

func TestGinAnswersPerRFC6750(t *testing.T) {
	g, h := ginServer(t), httpServer(t)
	tests := []struct {
		name   string
		auth   []string
		status int
		chal   string
		body   string
	}{
		{"no credentials", nil, 401, `Bearer realm="search-api"` + rm,
			`{"error":"unauthorized","error_description":"An access token is required"}` + "\n"},
		{"other scheme", []string{"Basic dXNlcjpwYXNz"}, 401, `Bearer realm="search-api"` + rm,
			`{"error":"unauthorized","error_description":"An access token is required"}` + "\n"},
		{"malformed", []string{"Bearer a b"}, 400,
			`Bearer realm="search-api", error="invalid_request", error_description="The Authorization header must be 'Bearer' followed by exactly one access token"` + rm,
			`{"error":"invalid_request","error_description":"The Authorization header must be 'Bearer' followed by exactly one access token"}` + "\n"},
		{"two headers", []string{"Bearer search-token", "Bearer search-token"}, 400,
			`Bearer realm="search-api", error="invalid_request", error_description="The Authorization header must be 'Bearer' followed by exactly one access token"` + rm,
			`{"error":"invalid_request","error_description":"The Authorization header must be 'Bearer' followed by exactly one access token"}` + "\n"},
		{"expired", []string{"Bearer old"}, 401,
			`Bearer realm="search-api", error="invalid_token", error_description="The access token expired"` + rm,
			`{"error":"invalid_token","error_description":"The access token expired"}` + "\n"},
		{"bad signature", []string{"Bearer forged"}, 401,
			`Bearer realm="search-api", error="invalid_token", error_description="The access token signature is invalid"` + rm,
			`{"error":"invalid_token","error_description":"The access token signature is invalid"}` + "\n"},
		{"signing keys cannot be fetched", []string{"Bearer keys-down"}, 503, "",
			`{"error":"temporarily_unavailable","error_description":"The authorization server's signing keys cannot be fetched now; try again later with the same token"}` + "\n"},
		{"missing scope", []string{"Bearer profile-token"}, 403,
			`Bearer realm="search-api", error="insufficient_scope", error_description="The access token lacks a scope this resource requires", scope="search"` + rm,
			`{"error":"insufficient_scope","error_description":"The access token lacks a scope this resource requires","scope":"search"}` + "\n"},
		{"good", []string{"BEARER search-token"}, 200, "", `{"message":"found apple in search","sub":"alice"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := get(t, g, tt.auth...)
			if got.status != tt.status || got.challenge != tt.chal || got.body != tt.body {
				t.Errorf("got %d %q %s\nwant %d %q %s", got.status, got.challenge, got.body, tt.status, tt.chal, tt.body)
			}
			if (got.retryAfter != "") != (tt.status == http.StatusServiceUnavailable) {
				t.Errorf("Retry-After %q with status %d", got.retryAfter, got.status)
			}
			if tt.status != http.StatusOK && (got.contentType != "application/json" || got.cacheControl != "no-store") {
				t.Errorf("Content-Type %q, Cache-Control %q", got.contentType, got.cacheControl)
			}
			if want := get(t, h, tt.auth...); got != want {
				t.Errorf("Gin and net/http answers differ:\ngin:  %+v\nhttp: %+v", got, want)
			}
		})
	}
}

func TestGinRequireScopesWithoutAuthenticate(t *testing.T) {
	r := gin.New()
	reached := false
	r.GET("/search", RequireScopes(opts, "search"), func(c *gin.Context) { reached = true })
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/search", nil)
	req.Header.Set("Authorization", "Bearer search-token")
	r.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || reached {
		t.Errorf("status %d, handler reached %v", rec.Code, reached)
	}
}

func TestGinRequireScopesPanicsWithoutScopes(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	RequireScopes(opts)
}

func TestGinClaimsAbsent(t *testing.T) {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	if _, ok := Claims(c); ok {
		t.Error("claims found without authentication")
	}
}
