package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/fastsafe/fastsafe/e2e/harness"
	"github.com/fastsafe/fastsafe/pkg/bearer"
	"github.com/fastsafe/fastsafe/pkg/clientcred"
	"github.com/fastsafe/fastsafe/pkg/jwks"
	"github.com/fastsafe/fastsafe/pkg/verify"
)

// dpopToken posts a token request with a proof of d, retrying once with
// the server's nonce if it asks for one (the assertion is made anew:
// each is used once). It returns the answer.
func dpopToken(t testing.TB, auth *harness.Auth, d harness.DPoPKey, form func() url.Values) (int, map[string]any) {
	t.Helper()
	nonce := ""
	for range 2 {
		status, h, body := postForm(t, auth.URL+"/token", form(),
			http.Header{"DPoP": {d.Proof(t, "POST", auth.URL+"/token", "", nonce, time.Now())}})
		if status == 400 && body["error"] == "use_dpop_nonce" && nonce == "" {
			nonce = h.Get("DPoP-Nonce")
			continue
		}
		return status, body
	}
	t.Fatal("the server asked for a nonce twice")
	return 0, nil
}

// service is a Go service of the chain on loopback, built from pkg/ as
// any service would be: it accepts DPoP-bound tokens for its audience.
type service struct {
	*httptest.Server
	opts bearer.Options
}

func startService(t *testing.T, auth *harness.Auth, audience string, h func(w http.ResponseWriter, r *http.Request)) *service {
	t.Helper()
	keys, err := jwks.NewRemote(jwks.RemoteOptions{Issuer: auth.URL})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New(keys, verify.Options{Issuer: auth.URL, Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	dp, err := verify.NewDPoP(verify.DPoPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := &service{}
	s.Server = httptest.NewUnstartedServer(nil)
	s.opts = bearer.Options{Realm: audience, DPoP: dp, RequireDPoP: true, PublicURL: "http://" + s.Listener.Addr().String()}
	s.Config.Handler = bearer.Authenticate(v, s.opts)(http.HandlerFunc(h))
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// chainSetup is how service A authenticates.
type chainSetup struct {
	name string
	// authenticate adds A's client authentication to a form, made anew
	// for each request.
	authenticate func(t testing.TB, f url.Values) url.Values
}

// TestServiceChain: A gets a token of its own by private-key assertion;
// A exchanges the user's token for B's audience with DPoP; B exchanges it
// for C's; C sees the user as subject and the actors nested twice. Then
// the refusals: a bound token as Bearer, a proof of another key, and the
// user's grant revoked, which deactivates every exchanged token.
func TestServiceChain(t *testing.T) {
	for _, nonce := range []string{"false", "true"} {
		t.Run("dpop nonce "+nonce, func(t *testing.T) {
			auth := harness.StartAuth(t, harness.AuthOptions{Env: map[string]string{"AUTH_DPOP_NONCE": nonce}})
			keyA := harness.NewServiceKey(t, "svc-a-1", jose.EdDSA)
			runChain(t, auth, chainSetup{name: "private key", authenticate: func(t testing.TB, f url.Values) url.Values {
				return withAssertion(f, keyA.Assertion(t, "svc-a", auth.URL+"/token", time.Minute))
			}}, "--jwks", harness.JWKSFile(t, keyA))
		})
	}
	t.Run("workload identity", func(t *testing.T) {
		auth := harness.StartAuth(t, harness.AuthOptions{})
		p := newPlatform(t)
		const sub = "system:serviceaccount:shop:svc-a"
		auth.CLI("", "issuers", "add", p.URL)
		wt := p.token(t, sub, auth.URL, time.Hour)
		runChain(t, auth, chainSetup{name: "workload", authenticate: func(_ testing.TB, f url.Values) url.Values {
			f.Set("client_id", "svc-a")
			return withAssertion(f, wt)
		}}, "--assertion-issuer", p.URL, "--assertion-subject", sub)
	})
}

func runChain(t *testing.T, auth *harness.Auth, a chainSetup, aKeys ...string) {
	auth.AddUser("alice", password, "search")
	webSecret := auth.AddClient("web", "--grants", "password,refresh_token", "--scopes", "search", "--audience", "svc-a")
	auth.AddClient("svc-a", append([]string{"--grants", "client_credentials,token_exchange", "--scopes", "search",
		"--audience", "search-api", "--exchange-audiences", "svc-b"}, aKeys...)...)
	keyB := harness.NewServiceKey(t, "svc-b-1", jose.ES256)
	auth.AddClient("svc-b", "--grants", "token_exchange", "--scopes", "search", "--audience", "svc-b",
		"--exchange-audiences", "svc-c", "--jwks", harness.JWKSFile(t, keyB))
	rs := harness.StartResource(t, auth, harness.ResourceOptions{Env: map[string]string{"RS_AUDIENCE": "search-api"}})

	// C answers with what it sees.
	c := startService(t, auth, "svc-c", func(w http.ResponseWriter, r *http.Request) {
		cl, _ := bearer.FromContext(r.Context())
		_ = json.NewEncoder(w).Encode(map[string]any{"sub": cl.Subject, "client_id": cl.ClientID, "actors": cl.Actor.Chain(),
			"dpop": bearer.DPoPProven(r.Context()), "scope": cl.Scope})
	})
	// B calls C on the caller's behalf: pkg/clientcred exchanges the
	// token it got, with its own key and a DPoP key of its own.
	dpopB, err := clientcred.GenerateDPoPKey()
	if err != nil {
		t.Fatal(err)
	}
	exB := clientcred.NewExchanger(context.Background(), clientcred.Config{TokenURL: auth.URL + "/token", ClientID: "svc-b",
		Assertion: clientcred.KeyAssertion{Key: keyB.Key, KeyID: keyB.KID}, DPoP: dpopB})
	b := startService(t, auth, "svc-b", func(w http.ResponseWriter, r *http.Request) {
		_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		resp, err := exB.Client(tok, "svc-c").Get(c.URL + "/whoami")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})

	dA := harness.NewDPoPKey(t)
	// A's own token, by its assertion, DPoP-bound, at the real /search.
	status, body := dpopToken(t, auth, dA, func() url.Values {
		return a.authenticate(t, url.Values{"grant_type": {"client_credentials"}, "scope": {"search"}})
	})
	if status != 200 || body["token_type"] != "DPoP" {
		t.Fatalf("A's client_credentials with %s: %d %v", a.name, status, body)
	}
	own := body["access_token"].(string)
	if st, _, _ := call(t, "GET", rs.URL+"/search?query=apple", "DPoP "+own, dA.Proof(t, "GET", rs.URL+"/search", own, "", time.Now())); st != 200 {
		t.Fatalf("A's DPoP token at /search: %d", st)
	}
	if st, _, _ := call(t, "GET", rs.URL+"/search?query=apple", "Bearer "+own, ""); st != 401 {
		t.Fatalf("A's DPoP-bound token as Bearer at /search: %d", st)
	}

	// The user signs in through web; A receives the user's token.
	status, _, body = postForm(t, auth.URL+"/token", url.Values{"grant_type": {"password"}, "username": {"alice"},
		"password": {password}, "client_id": {"web"}, "client_secret": {webSecret}}, nil)
	if status != 200 {
		t.Fatalf("sign-in: %d %v", status, body)
	}
	user, refresh := body["access_token"].(string), body["refresh_token"].(string)

	// A exchanges it for B's audience, bound to A's DPoP key.
	status, body = dpopToken(t, auth, dA, func() url.Values {
		return a.authenticate(t, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
			"subject_token": {user}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "audience": {"svc-b"}})
	})
	if status != 200 || body["token_type"] != "DPoP" || body["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" {
		t.Fatalf("A's exchange: %d %v", status, body)
	}
	forB := body["access_token"].(string)

	st, _, answer := call(t, "GET", b.URL+"/chain", "DPoP "+forB, dA.Proof(t, "GET", b.URL+"/chain", forB, "", time.Now()))
	var seen struct {
		Sub      string
		ClientID string `json:"client_id"`
		Actors   []string
		DPoP     bool
		Scope    string
	}
	_ = json.Unmarshal([]byte(answer), &seen)
	if st != 200 || seen.Sub != "alice" || seen.ClientID != "svc-b" || strings.Join(seen.Actors, ",") != "svc-b,svc-a" ||
		!seen.DPoP || seen.Scope != "search" {
		t.Fatalf("C saw %d %s", st, answer)
	}

	// Refusals along the chain.
	for name, req := range map[string][2]string{
		"bound token as Bearer":     {"Bearer " + forB, ""},
		"proof of another key":      {"DPoP " + forB, harness.NewDPoPKey(t).Proof(t, "GET", b.URL+"/chain", forB, "", time.Now())},
		"proof for another URL":     {"DPoP " + forB, dA.Proof(t, "GET", b.URL+"/other", forB, "", time.Now())},
		"proof for another method":  {"DPoP " + forB, dA.Proof(t, "POST", b.URL+"/chain", forB, "", time.Now())},
		"proof too old":             {"DPoP " + forB, dA.Proof(t, "GET", b.URL+"/chain", forB, "", time.Now().Add(-10*time.Minute))},
		"proof with a wrong ath":    {"DPoP " + forB, dA.Proof(t, "GET", b.URL+"/chain", user, "", time.Now())},
		"user token, not for B":     {"Bearer " + user, ""},
		"B's token without a proof": {"DPoP " + forB, ""},
	} {
		if st, h, _ := call(t, "GET", b.URL+"/chain", req[0], req[1]); st != 401 || !strings.Contains(h.Get("WWW-Authenticate"), "DPoP") {
			t.Errorf("%s: %d %q", name, st, h.Values("WWW-Authenticate"))
		}
	}
	replayed := dA.Proof(t, "GET", b.URL+"/chain", forB, "", time.Now())
	call(t, "GET", b.URL+"/chain", "DPoP "+forB, replayed)
	if st, _, _ := call(t, "GET", b.URL+"/chain", "DPoP "+forB, replayed); st != 401 {
		t.Errorf("replayed proof: %d", st)
	}

	// Revoking the user's grant deactivates every token exchanged from it.
	introspect := func(tok string) bool {
		_, _, body := postForm(t, auth.URL+"/introspect", url.Values{"token": {tok}, "client_id": {"web"}, "client_secret": {webSecret}}, nil)
		return body["active"] == true
	}
	if !introspect(forB) {
		t.Fatal("the exchanged token is not active before the revocation")
	}
	if st, _, _ := postForm(t, auth.URL+"/revoke", url.Values{"token": {refresh}, "client_id": {"web"}, "client_secret": {webSecret}}, nil); st != 200 {
		t.Fatalf("revocation: %d", st)
	}
	if introspect(user) || introspect(forB) {
		t.Fatal("tokens of a revoked grant are still active")
	}
	status, body = dpopToken(t, auth, dA, func() url.Values {
		return a.authenticate(t, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
			"subject_token": {user}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "audience": {"svc-b"}})
	})
	if status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("exchange of a revoked token: %d %v", status, body)
	}
}

// call sends a request with an Authorization header and a DPoP proof
// ("" for none).
func call(t testing.TB, method, u, authorization, proof string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", authorization)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}
