package registration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/backend"
	"github.com/fastsafe/fastsafe/authserver/internal/testclock"
	"github.com/fastsafe/fastsafe/internal/logbuf"
)

// peer is the source address of a request: its RemoteAddr's host.
type peer struct{}

func (peer) Addr(r *http.Request) netip.Addr {
	ap, _ := netip.ParseAddrPort(r.RemoteAddr)
	return ap.Addr()
}

type clock = testclock.Clock

type fixture struct {
	h     *Handler
	store backend.Store
	clock *clock
	logs  *logbuf.Buffer
}

var testPolicy = Policy{Grants: []string{"authorization_code", "refresh_token"}, Scopes: []string{"search"}, Audience: []string{"search-api"}}

func newFixture(t *testing.T, mode string, maxPerAddress int) *fixture {
	t.Helper()
	c := testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	logs := &logbuf.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	st, err := backend.Open(context.Background(), t.TempDir()+"/auth.db", logger, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{store: st, clock: c, logs: logs}
	f.h = New(Options{Issuer: "https://auth.example", Mode: mode, Policy: testPolicy, MaxPerAddress: maxPerAddress,
		Now: c.Now, Logger: logger}, st, peer{})
	return f
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func (f *fixture) do(t *testing.T, method, path, auth, contentType, body, from string) reply {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	r.RemoteAddr = from + ":4711"
	w := httptest.NewRecorder()
	mux := http.NewServeMux()
	mux.HandleFunc(Path, f.h.Register)
	mux.HandleFunc(Path+"/{client_id}", f.h.Manage)
	mux.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return reply{w.Code, w.Header(), m}
}

func (f *fixture) register(t *testing.T, body string) reply {
	t.Helper()
	return f.do(t, "POST", Path, "", "application/json", body, "192.0.2.1")
}

const native = `{"client_name":"Example MCP client","redirect_uris":["http://127.0.0.1/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"scope":"openid search","logo_uri":"https://ignored.example/logo.png"}`

func TestRegister(t *testing.T) {
	f := newFixture(t, ModeOpen, 0)
	a := f.register(t, native)
	if a.status != http.StatusCreated || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d %v", a.status, a.body)
	}
	id, _ := a.body["client_id"].(string)
	if !strings.HasPrefix(id, "dyn-") || a.body["client_secret"] != nil || a.body["registration_access_token"] == "" ||
		a.body["registration_client_uri"] != "https://auth.example/register/"+id || a.body["token_endpoint_auth_method"] != "none" ||
		a.body["scope"] != "openid profile email search" || a.body["logo_uri"] != nil {
		t.Fatalf("answer %v", a.body)
	}
	c, err := f.store.GetClient(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Public() || !c.Registered() || c.SkipConsent || c.Name != "Example MCP client" ||
		strings.Join(c.Audience, ",") != "search-api" || strings.Join(c.Scopes, ",") != "search" ||
		strings.Join(c.Grants, ",") != "authorization_code,refresh_token" {
		t.Fatalf("stored %+v", c)
	}
	sum := sha256.Sum256([]byte(a.body["registration_access_token"].(string)))
	if string(c.RegistrationTokenHash) != string(sum[:]) {
		t.Fatal("the registration access token is not stored as its hash")
	}
	if strings.Contains(f.logs.String(), a.body["registration_access_token"].(string)) {
		t.Fatal("the registration access token reached the log")
	}

	// A confidential client gets a secret, stored as its hash only.
	a = f.register(t, `{"redirect_uris":["https://app.example/cb"]}`)
	if a.status != http.StatusCreated || a.body["token_endpoint_auth_method"] != "client_secret_basic" || a.body["client_secret_expires_at"] != 0.0 {
		t.Fatalf("confidential: %d %v", a.status, a.body)
	}
	c, _ = f.store.GetClient(context.Background(), a.body["client_id"].(string))
	if !secret.Equal(c.SecretHash, a.body["client_secret"].(string)) {
		t.Fatal("the secret does not match its hash")
	}
}

func TestRegisterRefusals(t *testing.T) {
	f := newFixture(t, ModeOpen, 0)
	tests := []struct {
		name, contentType, body string
		error                   string
	}{
		{"not JSON", "application/json", `redirect_uris=x`, "invalid_client_metadata"},
		{"not application/json", "application/x-www-form-urlencoded", native, "invalid_client_metadata"},
		{"an array", "application/json", `[]`, "invalid_client_metadata"},
		{"two values", "application/json", native + native, "invalid_client_metadata"},
		{"a member twice", "application/json", `{"redirect_uris":["https://a.example/cb"],"redirect_uris":["https://evil.example/cb"]}`, "invalid_client_metadata"},
		{"wrong type", "application/json", `{"redirect_uris":"https://a.example/cb"}`, "invalid_client_metadata"},
		{"no redirect URI", "application/json", `{"grant_types":["authorization_code"]}`, "invalid_redirect_uri"},
		{"http redirect for a web app", "application/json", `{"redirect_uris":["http://app.example/cb"]}`, "invalid_redirect_uri"},
		{"private-use scheme for a confidential client", "application/json", `{"redirect_uris":["com.example.app:/cb"]}`, "invalid_redirect_uri"},
		{"fragment", "application/json", `{"redirect_uris":["https://app.example/cb#x"]}`, "invalid_redirect_uri"},
		{"javascript:", "application/json", `{"token_endpoint_auth_method":"none","redirect_uris":["javascript:alert(1)"]}`, "invalid_redirect_uri"},
		{"too many redirect URIs", "application/json", `{"redirect_uris":[` + strings.Repeat(`"https://a.example/cb",`, 10) + `"https://a.example/cb"]}`, "invalid_redirect_uri"},
		{"a grant registered clients may not have", "application/json", `{"redirect_uris":["https://a.example/cb"],"grant_types":["authorization_code","password"]}`, "invalid_client_metadata"},
		{"client_credentials, not allowed here", "application/json", `{"grant_types":["client_credentials"]}`, "invalid_client_metadata"},
		{"implicit flow", "application/json", `{"redirect_uris":["https://a.example/cb"],"response_types":["token"]}`, "invalid_client_metadata"},
		{"refresh without code", "application/json", `{"grant_types":["refresh_token"]}`, "invalid_client_metadata"},
		{"a scope registered clients may not have", "application/json", `{"redirect_uris":["https://a.example/cb"],"scope":"openid admin"}`, "invalid_client_metadata"},
		{"unknown auth method", "application/json", `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`, "invalid_client_metadata"},
		{"name with a control character", "application/json", `{"redirect_uris":["https://a.example/cb"],"client_name":"a\u001bb"}`, "invalid_client_metadata"},
		{"name too long", "application/json", `{"redirect_uris":["https://a.example/cb"],"client_name":"` + strings.Repeat("n", 101) + `"}`, "invalid_client_metadata"},
		{"too large", "application/json", `{"client_name":"` + strings.Repeat("n", 70<<10) + `"}`, "invalid_client_metadata"},
		{"not UTF-8", "application/json", "{\"client_name\":\"\xff\"}", "invalid_client_metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.do(t, "POST", Path, "", tt.contentType, tt.body, "192.0.2.2")
			if a.status != http.StatusBadRequest || a.body["error"] != tt.error {
				t.Fatalf("got %d %v, want 400 %s", a.status, a.body, tt.error)
			}
		})
	}
	if cs, _ := f.store.ListClients(context.Background()); len(cs) != 0 {
		t.Fatalf("refused registrations stored %d clients", len(cs))
	}
}

func TestRegistrationModes(t *testing.T) {
	off := newFixture(t, ModeOff, 0)
	if a := off.register(t, native); a.status != http.StatusNotFound {
		t.Fatalf("registration off: %d", a.status)
	}

	f := newFixture(t, ModeToken, 0)
	if a := f.register(t, native); a.status != http.StatusUnauthorized || !strings.Contains(a.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("without a token: %d %v", a.status, a.header)
	}
	const value = "initial-access-token-0123456789"
	sum := sha256.Sum256([]byte(value))
	now := f.clock.Now()
	if err := f.store.CreateRegistrationToken(context.Background(), store.RegistrationToken{ID: hex.EncodeToString(sum[:]), UsesLeft: 1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if a := f.do(t, "POST", Path, "Bearer wrong", "application/json", native, "192.0.2.3"); a.status != http.StatusUnauthorized {
		t.Fatalf("a wrong token: %d", a.status)
	}
	if a := f.do(t, "POST", Path, "Bearer "+value, "application/json", native, "192.0.2.3"); a.status != http.StatusCreated {
		t.Fatalf("with the token: %d %v", a.status, a.body)
	}
	if a := f.do(t, "POST", Path, "Bearer "+value, "application/json", native, "192.0.2.3"); a.status != http.StatusUnauthorized {
		t.Fatalf("a spent token: %d", a.status)
	}
}

func TestRegistrationThrottled(t *testing.T) {
	f := newFixture(t, ModeOpen, 2)
	for i := range 2 {
		if a := f.register(t, native); a.status != http.StatusCreated {
			t.Fatalf("registration %d: %d", i, a.status)
		}
	}
	a := f.register(t, native)
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %v", a.status, a.header)
	}
	if a := f.do(t, "POST", Path, "", "application/json", native, "198.51.100.7"); a.status != http.StatusCreated {
		t.Fatalf("another address: %d", a.status)
	}
	f.clock.Advance(61 * time.Minute)
	if a := f.register(t, native); a.status != http.StatusCreated {
		t.Fatalf("an hour later: %d", a.status)
	}
}

func TestManage(t *testing.T) {
	f := newFixture(t, ModeOpen, 0)
	reg := f.register(t, native)
	id := reg.body["client_id"].(string)
	tok := "Bearer " + reg.body["registration_access_token"].(string)
	uri := Path + "/" + id

	a := f.do(t, "GET", uri, tok, "", "", "192.0.2.1")
	if a.status != http.StatusOK || a.body["client_id"] != id || a.body["registration_access_token"] != nil || a.body["client_name"] != "Example MCP client" {
		t.Fatalf("read: %d %v", a.status, a.body)
	}
	// Every other credential is the same 401: no probing of client IDs.
	other := f.register(t, native)
	for _, tc := range []struct{ path, auth string }{
		{uri, ""},
		{uri, "Bearer wrong"},
		{uri, "Bearer " + other.body["registration_access_token"].(string)},
		{Path + "/dyn-nobody", tok},
	} {
		if a := f.do(t, "GET", tc.path, tc.auth, "", "", "192.0.2.1"); a.status != http.StatusUnauthorized || a.body["error"] != "invalid_token" {
			t.Fatalf("%s with %q: %d %v", tc.path, tc.auth, a.status, a.body)
		}
	}
	// An administrator's client cannot be managed at all.
	if err := f.store.CreateClient(context.Background(), store.Client{ID: "admin-added", Grants: []string{"password"}}); err != nil {
		t.Fatal(err)
	}
	if a := f.do(t, "GET", Path+"/admin-added", tok, "", "", "192.0.2.1"); a.status != http.StatusUnauthorized {
		t.Fatalf("an administrator's client: %d", a.status)
	}

	// Update: the metadata are replaced, checked like a registration.
	a = f.do(t, "PUT", uri, tok, "application/json",
		`{"client_id":"`+id+`","redirect_uris":["http://127.0.0.1/other"],"token_endpoint_auth_method":"none","client_name":"Renamed"}`, "192.0.2.1")
	if a.status != http.StatusOK || a.body["client_name"] != "Renamed" {
		t.Fatalf("update: %d %v", a.status, a.body)
	}
	for _, body := range []string{
		`{"client_id":"another","redirect_uris":["http://127.0.0.1/cb"]}`,
		`{"client_id":"` + id + `","redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"client_secret_basic"}`,
		`{"client_id":"` + id + `","redirect_uris":["http://evil.example/cb"],"token_endpoint_auth_method":"none"}`,
	} {
		if a := f.do(t, "PUT", uri, tok, "application/json", body, "192.0.2.1"); a.status != http.StatusBadRequest {
			t.Fatalf("update %s: %d %v", body, a.status, a.body)
		}
	}
	c, _ := f.store.GetClient(context.Background(), id)
	if c.Name != "Renamed" || strings.Join(c.RedirectURIs, ",") != "http://127.0.0.1/other" || !c.Public() {
		t.Fatalf("after the updates: %+v", c)
	}

	// Delete.
	if a := f.do(t, "DELETE", uri, tok, "", "", "192.0.2.1"); a.status != http.StatusNoContent {
		t.Fatalf("delete: %d", a.status)
	}
	if _, err := f.store.GetClient(context.Background(), id); err == nil {
		t.Fatal("the client survived its deletion")
	}
	if a := f.do(t, "GET", uri, tok, "", "", "192.0.2.1"); a.status != http.StatusUnauthorized {
		t.Fatalf("after deletion: %d", a.status)
	}
}
