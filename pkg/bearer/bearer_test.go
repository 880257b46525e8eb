package bearer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s mismatch\ngot:  %s\nwant: %s", name, got, want)
	}
}

// fakeVerifier accepts the tokens it knows and refuses the others with
// their error.
type fakeVerifier struct {
	tokens map[string]*claims.AccessToken
	errs   map[string]error
	calls  atomic.Int64
}

var _ TokenVerifier = (*fakeVerifier)(nil)

func (f *fakeVerifier) Verify(_ context.Context, token string) (*claims.AccessToken, error) {
	f.calls.Add(1)
	if c, ok := f.tokens[token]; ok {
		return c, nil
	}
	if err, ok := f.errs[token]; ok {
		return nil, err
	}
	// An error that (wrongly) quotes the token: answers must not echo it.
	return nil, fmt.Errorf("%w: cannot parse %q", verify.ErrMalformed, token)
}

func newFakeVerifier() *fakeVerifier {
	return &fakeVerifier{
		tokens: map[string]*claims.AccessToken{
			"search-token":  {Subject: "alice", ClientID: "web", Scope: "search profile"},
			"profile-token": {Subject: "bob", ClientID: "web", Scope: "profile"},
		},
		errs: map[string]error{
			"expired-token":  fmt.Errorf("wrapped: %w", verify.ErrExpired),
			"audience-token": verify.ErrAudience,
			"unknown-key":    fmt.Errorf("%w: kid %q", verify.ErrUnknownKey, "k1"),
			"keys-down":      fmt.Errorf("%w: the key set cannot be fetched", verify.ErrKeysUnavailable),
		},
	}
}

var testOpts = Options{Realm: "search-api", ResourceMetadata: "http://localhost:8000/.well-known/oauth-protected-resource"}

func TestExtract(t *testing.T) {
	tests := []struct {
		name    string
		headers []string // Authorization header values
		query   string
		want    string
		wantErr error
	}{
		{"bearer", []string{"Bearer abc.def.ghi"}, "", "abc.def.ghi", nil},
		{"lower-case scheme", []string{"bearer abc"}, "", "abc", nil},
		{"upper-case scheme", []string{"BEARER abc"}, "", "abc", nil},
		{"all b64token characters", []string{"Bearer aZ09-._~+/=="}, "", "aZ09-._~+/==", nil},
		{"several spaces", []string{"Bearer   abc"}, "", "abc", nil},
		{"surrounding blanks", []string{" Bearer abc \t"}, "", "abc", nil},

		{"absent", nil, "", "", ErrNoToken},
		{"only in the query", nil, "access_token=abc", "", ErrNoToken},
		{"basic scheme", []string{"Basic dXNlcjpwYXNz"}, "", "", ErrNoToken},
		{"DPoP scheme", []string{"DPoP abc"}, "", "", ErrNoToken},
		{"scheme glued to token", []string{"Bearerabc"}, "", "", ErrNoToken},

		{"empty", []string{""}, "", "", ErrMalformedHeader},
		{"scheme alone", []string{"Bearer"}, "", "", ErrMalformedHeader},
		{"scheme and spaces", []string{"Bearer   "}, "", "", ErrMalformedHeader},
		{"two tokens", []string{"Bearer abc def"}, "", "", ErrMalformedHeader},
		{"comma-separated tokens", []string{"Bearer abc,def"}, "", "", ErrMalformedHeader},
		{"quoted token", []string{`Bearer "abc"`}, "", "", ErrMalformedHeader},
		{"padding only", []string{"Bearer =="}, "", "", ErrMalformedHeader},
		{"padding inside", []string{"Bearer ab=c"}, "", "", ErrMalformedHeader},
		{"non-ASCII", []string{"Bearer abcé"}, "", "", ErrMalformedHeader},
		{"two headers", []string{"Bearer abc", "Bearer abc"}, "", "", ErrMalformedHeader},
		{"bearer and basic", []string{"Basic dXNlcjpwYXNz", "Bearer abc"}, "", "", ErrMalformedHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/search?"+tt.query, nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			got, err := Extract(r)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("token = %q, want %q", got, tt.want)
			}
		})
	}
}

// wireCase is one RFC 6750 answer, over real HTTP.
type wireCase struct {
	name      string
	header    []string // Authorization header values
	query     string
	status    int
	challenge string
	golden    string // body file under testdata/
}

const metadataAttr = `resource_metadata="http://localhost:8000/.well-known/oauth-protected-resource"`

var wireCases = []wireCase{
	{"no credentials", nil, "", 401,
		`Bearer realm="search-api", ` + metadataAttr, "no_token.json"},
	{"other scheme", []string{"Basic dXNlcjpwYXNz"}, "", 401,
		`Bearer realm="search-api", ` + metadataAttr, "no_token.json"},
	{"token only in the query", nil, "access_token=search-token", 401,
		`Bearer realm="search-api", ` + metadataAttr, "no_token.json"},
	{"malformed header", []string{"Bearer a b"}, "", 400,
		`Bearer realm="search-api", error="invalid_request", error_description="The Authorization header must be 'Bearer' followed by exactly one access token", ` + metadataAttr,
		"invalid_request.json"},
	{"repeated header", []string{"Bearer search-token", "Bearer search-token"}, "", 400,
		`Bearer realm="search-api", error="invalid_request", error_description="The Authorization header must be 'Bearer' followed by exactly one access token", ` + metadataAttr,
		"invalid_request.json"},
	{"expired token", []string{"Bearer expired-token"}, "", 401,
		`Bearer realm="search-api", error="invalid_token", error_description="The access token expired", ` + metadataAttr,
		"invalid_token_expired.json"},
	{"token for another audience", []string{"Bearer audience-token"}, "", 401,
		`Bearer realm="search-api", error="invalid_token", error_description="The access token is not meant for this resource", ` + metadataAttr,
		"invalid_token_audience.json"},
	{"token signed by an unknown key", []string{"Bearer unknown-key"}, "", 401,
		`Bearer realm="search-api", error="invalid_token", error_description="The access token is signed with an unknown key", ` + metadataAttr,
		"invalid_token_unknown_key.json"},
	{"token whose key cannot be fetched now", []string{"Bearer keys-down"}, "", 503, "", "keys_unavailable.json"},
	{"garbage token", []string{"Bearer secret-garbage-token"}, "", 401,
		`Bearer realm="search-api", error="invalid_token", error_description="The access token is malformed", ` + metadataAttr,
		"invalid_token_malformed.json"},
	{"missing scope", []string{"Bearer profile-token"}, "", 403,
		`Bearer realm="search-api", error="insufficient_scope", error_description="The access token lacks a scope this resource requires", scope="search", ` + metadataAttr,
		"insufficient_scope.json"},
	{"good token", []string{"bearer search-token"}, "", 200, "", "ok.json"},
}

// RunWireCases checks handler (which must protect a route requiring scope
// "search" with testOpts and newFakeVerifier's tokens) against wireCases.
func runWireCases(t *testing.T, handler http.Handler) {
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	for _, tt := range wireCases {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/search?"+tt.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range tt.header {
				req.Header.Add("Authorization", h)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Values("WWW-Authenticate"); tt.challenge == "" && len(got) != 0 ||
				tt.challenge != "" && (len(got) != 1 || got[0] != tt.challenge) {
				t.Errorf("WWW-Authenticate = %q\nwant %q", got, tt.challenge)
			}
			if retry := resp.Header.Get("Retry-After"); (tt.status == http.StatusServiceUnavailable) != (retry == "5") {
				t.Errorf("Retry-After = %q with status %d, want 5 with 503 only", retry, tt.status)
			}
			if tt.status != http.StatusOK {
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control = %q", cc)
				}
			}
			golden(t, tt.golden, body)
			for _, h := range tt.header {
				if _, tok, _ := strings.Cut(h, " "); len(tok) > 5 && bytes.Contains(body, []byte(tok)) {
					t.Errorf("body echoes the token: %s", body)
				}
			}
		})
	}
}

// okHandler answers with the subject and scopes it finds in the context.
func okHandler(w http.ResponseWriter, r *http.Request) {
	c, ok := FromContext(r.Context())
	if !ok {
		http.Error(w, "no claims", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"sub": c.Subject, "scopes": c.Scopes()})
}

func TestMiddlewareAnswersPerRFC6750(t *testing.T) {
	var logs bytes.Buffer
	opts := testOpts
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := newFakeVerifier()
	mux := http.NewServeMux()
	mux.Handle("GET /search", Authenticate(v, opts)(RequireScopes(opts, "search")(http.HandlerFunc(okHandler))))
	runWireCases(t, mux)
	if strings.Contains(logs.String(), "search-token") || strings.Contains(logs.String(), "garbage") {
		t.Errorf("the log holds a token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "expired") {
		t.Errorf("refusals not logged:\n%s", logs.String())
	}
}

func TestAuthenticateNeverVerifiesQueryTokens(t *testing.T) {
	v := newFakeVerifier()
	h := Authenticate(v, testOpts)(http.HandlerFunc(okHandler))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/search?access_token=search-token", nil))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("status = %d", rec.Code)
	}
	if n := v.calls.Load(); n != 0 {
		t.Errorf("verifier called %d times", n)
	}
}

func TestRequireScopes(t *testing.T) {
	tests := []struct {
		name      string
		scope     string // granted
		required  []string
		status    int
		challenge string
	}{
		{"all granted", "search profile", []string{"search", "profile"}, 200, ""},
		{"one missing", "search", []string{"search", "admin"}, 403,
			`Bearer error="insufficient_scope", error_description="The access token lacks a scope this resource requires", scope="search admin"`},
		{"none granted", "", []string{"search"}, 403,
			`Bearer error="insufficient_scope", error_description="The access token lacks a scope this resource requires", scope="search"`},
		{"prefix is not the scope", "searching", []string{"search"}, 403,
			`Bearer error="insufficient_scope", error_description="The access token lacks a scope this resource requires", scope="search"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := RequireScopes(Options{}, tt.required...)(http.HandlerFunc(okHandler))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r = r.WithContext(WithClaims(r.Context(), &claims.AccessToken{Subject: "s", Scope: tt.scope}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate = %q\nwant %q", got, tt.challenge)
			}
		})
	}
	t.Run("without Authenticate", func(t *testing.T) {
		h := RequireScopes(Options{}, "search")(http.HandlerFunc(okHandler))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("status = %d, challenge %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
	})
}

func TestRequireScopesPanicsOnBadDeclarations(t *testing.T) {
	for _, scopes := range [][]string{nil, {""}, {"two words"}, {`quo"te`}, {`back\slash`}, {"ok", "é"}} {
		t.Run(fmt.Sprintf("%q", scopes), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			RequireScopes(Options{}, scopes...)
		})
	}
}

func TestWriteErrorEscapesHeaderValues(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, Options{Realm: "a \"quoted\" \\ realm\r\nSet-Cookie: x=y", ResourceMetadata: "http://h/\"x\""},
		ErrInsufficientScope, "search", `bad"scope`, "a\r\nb")
	want := `Bearer realm="a \"quoted\" \\ realmSet-Cookie: x=y", error="insufficient_scope", ` +
		`error_description="The access token lacks a scope this resource requires", scope="search", resource_metadata="http://h/\"x\""`
	if got := rec.Header().Get("WWW-Authenticate"); got != want {
		t.Errorf("WWW-Authenticate = %q\nwant %q", got, want)
	}
	if len(rec.Header()) != 3 {
		t.Errorf("headers = %v", rec.Header())
	}
}

func TestDescriptionsAreValidErrorDescriptions(t *testing.T) {
	// Each kind of error has its own description...
	kinds := []error{ErrNoToken, ErrMalformedHeader, ErrInsufficientScope,
		verify.ErrMalformed, verify.ErrTooLarge, verify.ErrAlgorithm, verify.ErrType, verify.ErrUnknownKey,
		verify.ErrSignature, verify.ErrExpired, verify.ErrNotYetValid, verify.ErrIssuer, verify.ErrAudience,
		verify.ErrMissingClaim, verify.ErrCritical}
	// ...and any other error gets the generic one.
	generic := classify(errors.New("other"))
	if generic.code != "invalid_token" || generic.status != http.StatusUnauthorized {
		t.Errorf("unknown error answered %+v", generic)
	}
	if nilAnswer := classify(nil); nilAnswer != generic {
		t.Errorf("nil error answered %+v", nilAnswer)
	}
	seen := map[string]error{generic.description: nil}
	for _, err := range append(kinds, nil) {
		a := classify(err)
		// error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ), RFC 6750 §3.
		if a.description == "" {
			t.Errorf("%v: no description", err)
		}
		for _, c := range a.description {
			if c < 0x20 || c == 0x22 || c == 0x5c || c > 0x7e {
				t.Errorf("%v: description %q has %q", err, a.description, c)
			}
		}
		if err == nil {
			continue
		}
		if other, dup := seen[a.description]; dup {
			t.Errorf("%v and %v share the description %q", err, other, a.description)
		}
		seen[a.description] = err
	}
}

func TestFromContext(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Error("claims found in an empty context")
	}
	if _, ok := FromContext(WithClaims(context.Background(), nil)); ok {
		t.Error("nil claims reported as present")
	}
	want := &claims.AccessToken{Subject: "alice"}
	if got, ok := FromContext(WithClaims(context.Background(), want)); !ok || got != want {
		t.Errorf("got %v, %v", got, ok)
	}
}
