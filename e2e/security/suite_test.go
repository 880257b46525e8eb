package security_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/e2e/harness"
	"github.com/fastsafe/fastsafe/internal/otlptest"
)

// suite is the servers under attack and what the attacks leave behind.
type suite struct {
	// a is the main authorization server: RS256, behind a trusted proxy
	// (loopback), with low brute-force limits; ra trusts it.
	a  *harness.Auth
	ra *harness.Resource
	// b signs with ES256; rb trusts it.
	b  *harness.Auth
	rb *harness.Resource
	// c trusts no proxy: its source address is always the TCP peer.
	c *harness.Auth

	http *http.Client

	password  string // tester's, on a and b
	webSecret string // client "web" on a
	svcSecret string // client "svc" on a: client_credentials for search-api
	othSecret string // client "other" on a: client_credentials for other-api
	bWeb      string // client "web" on b
	cWeb      string // client "web" on c

	// attacker is a server an attacker controls; no request may reach it.
	attacker     *httptest.Server
	attackerHits atomic.Int64

	addrs atomic.Int64 // for fresh source addresses

	// spans receives the spans of a and ra, which trace every request.
	spans *otlptest.Receiver

	mu          sync.Mutex
	secrets     []string // must never appear in a log line, an error body or a span
	errorBodies []string // every error body the servers sent
	processes   []*harness.Process
}

// Limits of server a, low so that the rows reach them quickly. Every row
// that fails logins or client authentications uses its own source address
// (X-Forwarded-For through the trusted loopback proxy), and its own user
// and client when it fails more than once, so rows do not lock each
// other out.
const (
	aLoginMaxFailures   = 3
	aClientMaxFailures  = 10
	aAddressMaxFailures = 6
	cAddressMaxFailures = 4
)

func newSuite(t *testing.T) *suite {
	t.Helper()
	s := &suite{
		http:     &http.Client{Timeout: 30 * time.Second},
		password: "correct horse battery staple " + rand.Text()[:10],
	}
	s.attacker = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.attackerHits.Add(1)
		http.Error(w, "attacker", http.StatusTeapot)
	}))
	t.Cleanup(s.attacker.Close)
	s.secret(s.password)

	limits := map[string]string{
		"AUTH_LOGIN_MAX_FAILURES":   fmt.Sprint(aLoginMaxFailures),
		"AUTH_LOGIN_LOCKOUT":        "1h",
		"AUTH_CLIENT_MAX_FAILURES":  fmt.Sprint(aClientMaxFailures),
		"AUTH_ADDRESS_MAX_FAILURES": fmt.Sprint(aAddressMaxFailures),
	}
	// a and ra trace every request, into a receiver whose spans are
	// searched for secrets afterwards.
	s.spans = otlptest.NewReceiver(t)
	tracing := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": s.spans.URL, "OTEL_BSP_SCHEDULE_DELAY": "200"}
	s.a = harness.StartAuth(t, harness.AuthOptions{Env: merge(limits, tracing, map[string]string{
		"AUTH_SIGNING_ALG":     "RS256",
		"AUTH_TRUSTED_PROXIES": "127.0.0.1,::1",
	})})
	s.a.AddUser("tester", s.password, "search")
	s.webSecret = s.addClient(t, s.a, "web", "--grants", "password,refresh_token,client_credentials", "--scopes", "search", "--audience", "search-api")
	s.othSecret = s.addClient(t, s.a, "other", "--grants", "client_credentials", "--scopes", "search", "--audience", "other-api")
	s.svcSecret = s.addClient(t, s.a, "svc", "--grants", "client_credentials", "--scopes", "search", "--audience", "search-api")
	s.ra = harness.StartResource(t, s.a, harness.ResourceOptions{Env: tracing})

	s.b = harness.StartAuth(t, harness.AuthOptions{Env: map[string]string{"AUTH_SIGNING_ALG": "ES256"}})
	s.b.AddUser("tester", s.password, "search")
	s.bWeb = s.addClient(t, s.b, "web", "--grants", "password,refresh_token", "--scopes", "search", "--audience", "search-api")
	s.rb = harness.StartResource(t, s.b, harness.ResourceOptions{})

	s.c = harness.StartAuth(t, harness.AuthOptions{Env: map[string]string{
		"AUTH_SIGNING_ALG":          "EdDSA",
		"AUTH_ADDRESS_MAX_FAILURES": fmt.Sprint(cAddressMaxFailures),
		"AUTH_LOGIN_LOCKOUT":        "1h",
	}})
	s.c.AddUser("tester", s.password, "search")
	s.cWeb = s.addClient(t, s.c, "web", "--grants", "password", "--scopes", "search", "--audience", "search-api")

	s.processes = []*harness.Process{s.a.Process, s.ra.Process, s.b.Process, s.rb.Process, s.c.Process}
	return s
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// cli runs an authserver command on a's database and fails t if it
// fails. (The harness's own CLI fails the test that started the server,
// which a subtest must not do.)
func cli(t testing.TB, a *harness.Auth, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := a.TryCLI(stdin, args...)
	if err != nil {
		t.Fatalf("authserver %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// addClient adds a client and remembers its secret.
func (s *suite) addClient(t testing.TB, a *harness.Auth, id string, args ...string) string {
	t.Helper()
	sec := strings.TrimSpace(cli(t, a, "", append([]string{"clients", "add", id}, args...)...))
	s.secret(sec)
	return sec
}

// secret records a value that must never be logged or sent back.
func (s *suite) secret(v string) {
	if len(v) < 12 {
		panic(fmt.Sprintf("secret %q too short to search for reliably", v))
	}
	s.mu.Lock()
	s.secrets = append(s.secrets, v)
	s.mu.Unlock()
}

// newAddr returns a source address no other row uses, from the TEST-NET
// ranges (RFC 5737) and the documentation prefix (RFC 3849).
func (s *suite) newAddr() string {
	n := s.addrs.Add(1)
	if n%5 == 0 {
		return fmt.Sprintf("2001:db8:%x::1", n)
	}
	return fmt.Sprintf("198.%d.%d.%d", 18+n/65536%2, n/256%256, n%256)
}

// request is one HTTP request of an attack.
type request struct {
	method string // default POST
	url    string
	header http.Header
	body   string
	// from is sent as X-Forwarded-For: believed by server a only, whose
	// trusted proxy is loopback.
	from string
}

// answer is what came back.
type answer struct {
	status int
	header http.Header
	body   []byte
	err    error // the request failed at the transport
}

// json decodes the body as a JSON object of strings (and numbers, read
// as strings); nil if it is not one.
func (a answer) json() map[string]string {
	var raw map[string]any
	if err := json.Unmarshal(a.body, &raw); err != nil {
		return nil
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		out[k] = fmt.Sprint(v)
	}
	return out
}

func (a answer) String() string {
	if a.err != nil {
		return "transport error: " + a.err.Error()
	}
	b := a.body
	if len(b) > 300 {
		b = append(b[:300:300], "…"...)
	}
	return fmt.Sprintf("%d %s", a.status, b)
}

// do sends r and records error bodies for the leak check.
func (s *suite) do(t *testing.T, r request) answer {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, r.url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range r.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if r.from != "" {
		req.Header.Set("X-Forwarded-For", r.from)
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer{err: err}
	}
	if resp.StatusCode >= 400 {
		s.mu.Lock()
		s.errorBodies = append(s.errorBodies, string(b))
		s.mu.Unlock()
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// form is a form body built in order, repeats and empty values kept.
func form(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(pairs[i]) + "=" + url.QueryEscape(pairs[i+1]))
	}
	return b.String()
}

func formHeader(extra ...string) http.Header {
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Add(extra[i], extra[i+1])
	}
	return h
}

// basic is client_secret_basic, both parts form-encoded (RFC 6749 §2.3.1).
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// login is a password grant of user through client from a source address.
func (s *suite) login(t *testing.T, a *harness.Auth, client, secret, user, pw, from string) answer {
	t.Helper()
	return s.do(t, request{url: a.URL + "/token", from: from,
		header: formHeader("Authorization", basic(client, secret)),
		body:   form("grant_type", "password", "username", user, "password", pw)})
}

// tokens is a successful token response.
type tokens struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
}

// mustTokens decodes a successful token response and records its tokens
// as secrets.
func (s *suite) mustTokens(t *testing.T, a answer) tokens {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("token request failed: %v", a)
	}
	var tk tokens
	if err := json.Unmarshal(a.body, &tk); err != nil || tk.Access == "" {
		t.Fatalf("token response %s: %v", a.body, err)
	}
	s.secret(tk.Access)
	if tk.Refresh != "" {
		s.secret(tk.Refresh)
	}
	return tk
}

// wantError checks an OAuth error answer: status, "error" code, and the
// headers every error carries.
func wantError(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.err != nil {
		t.Fatalf("want %d %s, got %v", status, code, a)
	}
	if a.status != status || a.json()["error"] != code {
		t.Fatalf("want %d %s, got %v", status, code, a)
	}
	wantSecurityHeaders(t, a)
	if cc := a.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("error answer with Cache-Control %q, want no-store", cc)
	}
}

// wantSecurityHeaders checks what every answer of both servers carries,
// and what none does.
func wantSecurityHeaders(t *testing.T, a answer) {
	t.Helper()
	if a.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("answer without X-Content-Type-Options: nosniff: %v", a.header)
	}
	if v := a.header.Get("Server"); v != "" {
		t.Errorf("answer names its server: %q", v)
	}
	if v := a.header.Get("X-Powered-By"); v != "" {
		t.Errorf("answer names its framework: %q", v)
	}
}

// closedWithin reports whether the server closes conn within d, reading
// and discarding whatever it sends.
func closedWithin(conn net.Conn, d time.Duration) error {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("connection still open after %s", d)
	}
	return nil
}

// TestSecurity runs every attack against the real servers, then searches
// everything both kinds of server logged, and every error body they sent,
// for the secrets the attacks used.
func TestSecurity(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five servers")
	}
	s := newSuite(t)
	t.Run("attacks", func(t *testing.T) {
		t.Run("slow clients", func(t *testing.T) {
			t.Parallel()
			s.slowClients(t)
		})
		t.Run("requests", func(t *testing.T) {
			t.Parallel()
			t.Run("token endpoint input", s.tokenEndpointInput)
			t.Run("brute force", s.bruteForce)
			t.Run("hostile tokens", s.hostileTokens)
			t.Run("bit flips", s.bitFlips)
			t.Run("refresh and revocation", s.refreshAndRevocation)
			t.Run("refused grants", s.refusedGrants)
			t.Run("sign-in", s.signIn)
			t.Run("client assertions", s.clientAssertions)
			t.Run("token exchange", s.tokenExchanges)
			t.Run("DPoP", s.dpopProofs)
			t.Run("security headers", s.securityHeaders)
			t.Run("trace context", s.traceContext)
		})
	})
	// After the attacks, which use its keys, auth server b withdraws one.
	t.Run("key revocation", s.keyRevocation)
	t.Run("afterwards", s.afterwards)
}

// afterwards holds the rows that judge the whole run.
func (s *suite) afterwards(t *testing.T) {
	rows := []struct {
		name, rfc string
		check     func(t *testing.T)
	}{
		{"no request ever reached a URL named in a token header", "RFC 8725 §3.10", func(t *testing.T) {
			if n := s.attackerHits.Load(); n != 0 {
				t.Fatalf("the attacker's server got %d requests", n)
			}
		}},
		{"no secret in any log line, error body or span", "RFC 6749 §10.3, §10.4", s.noLeaks},
	}
	for _, r := range rows {
		t.Run(r.name+" ["+r.rfc+"]", r.check)
	}
}

// noLeaks searches the logs of every process, every error body and the
// spans of the servers that trace for the secrets, as sent and in the
// encodings they travelled in.
func (s *suite) noLeaks(t *testing.T) {
	// Stop the servers first: their last log lines (shutdown) count too,
	// and they send their last spans as they stop.
	for _, p := range s.processes {
		p.Stop()
	}
	s.mu.Lock()
	secrets, bodies := s.secrets, s.errorBodies
	s.mu.Unlock()
	var logs strings.Builder
	for _, p := range s.processes {
		logs.WriteString(p.Logs.String())
	}
	spans := s.spans.Spans()
	if logs.Len() < 10000 || len(bodies) < 100 || len(secrets) < 20 || len(spans) < 100 {
		if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "/") {
			t.Skipf("only part of the suite ran (-run %s): too little to search", f.Value)
		}
		t.Fatalf("too little to search: %d bytes of logs, %d error bodies, %d secrets, %d spans", logs.Len(), len(bodies), len(secrets), len(spans))
	}
	haystack := logs.String() + "\n" + strings.Join(bodies, "\n") + "\n" + otlptest.Format(spans)
	for _, sec := range secrets {
		forms := []string{sec, url.QueryEscape(sec), base64.StdEncoding.EncodeToString([]byte(sec))}
		if strings.Count(sec, ".") == 2 { // a JWT: its signature alone is a leak too
			forms = append(forms, sec[strings.LastIndexByte(sec, '.')+1:])
		}
		if len(sec) > 64 {
			forms = append(forms, sec[len(sec)/2:len(sec)/2+32])
		}
		for _, f := range forms {
			if len(f) >= 12 && strings.Contains(haystack, f) {
				i := strings.Index(haystack, f)
				t.Errorf("secret %.12q… leaked: …%s…", sec, haystack[max(i-200, 0):min(i+len(f)+50, len(haystack))])
			}
		}
	}
	t.Logf("searched %d bytes of logs, %d error bodies and %d spans for %d secrets", logs.Len(), len(bodies), len(spans), len(secrets))
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
