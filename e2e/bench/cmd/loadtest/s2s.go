package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fastsafe/fastsafe/e2e/bench"
	"github.com/fastsafe/fastsafe/pkg/clientcred"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// The service-to-service phases: client_credentials with a private-key
// assertion, token exchange, and /search with DPoP. They run when
// -pkjwt-client names a client whose key is in -pkjwt-key (made with
// -keygen) and -exchange-client one that may exchange tokens for
// search-api, its secret in LOADTEST_EXCHANGE_SECRET.

const (
	exchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"
	accessType    = "urn:ietf:params:oauth:token-type:access_token"
	// assertionAlg is the algorithm of the benchmark client's key.
	assertionAlg = "EdDSA"
	// pooled is how many single-use assertions or proofs are made before
	// a phase: more than it can send.
	pooled = 40000
)

// keygen writes an Ed25519 key to prefix.key (PKCS #8 PEM) and its public
// key set to prefix.jwks, for "authserver clients add --jwks".
func keygen(prefix string) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	if err := os.WriteFile(prefix+".key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	k, err := jwks.FromPublicKey(keyID(prefix+".key"), assertionAlg, pub)
	if err != nil {
		return err
	}
	b, err := json.Marshal(jwks.Set{Keys: []jwks.Key{k}})
	if err != nil {
		return err
	}
	return os.WriteFile(prefix+".jwks", b, 0o600)
}

// keyID is the kid of the key in file PREFIX.key: PREFIX's base name and
// "-1".
func keyID(file string) string { return filepath.Base(strings.TrimSuffix(file, ".key")) + "-1" }

func readKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block in " + path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s is not an Ed25519 key", path)
	}
	return priv, nil
}

func (o options) s2s() bool { return o.pkjwtClient != "" }

// s2sGoals are the goals of the service-to-service phases.
func s2sGoals(o options) []bench.Goal {
	if !o.s2s() {
		return nil
	}
	return []bench.Goal{
		{Key: "pkjwt/crypto", What: "client_credentials with a private-key assertion, grants/s ÷ signing+verifying capacity (cores ÷ CPU time of one " + o.alg + " signature and one " + assertionAlg + " verification)", Bound: 0.8},
		{Key: "pkjwt/crypto cpu", What: "… its CPU efficiency: one signature and one verification ÷ server CPU per grant", Bound: 0.8},
		{Key: "exchange/crypto", What: "token exchange grants/s ÷ signing+verifying capacity (cores ÷ CPU time of one " + o.alg + " signature and one " + o.alg + " verification)", Bound: 0.8},
		{Key: "exchange/crypto cpu", What: "… its CPU efficiency: one signature and one verification ÷ server CPU per exchange", Bound: 0.8},
		{Key: "dpop/limit", What: "`/search` with DPoP req/s ÷ the limit of one proof verification per request (cores ÷ (server CPU per `/` + CPU time of one ES256 proof verification)), cache on", Bound: 0.9},
		{Key: "dpop/limit cpu", What: "… the server's side: (CPU per `/` + one proof verification) ÷ CPU per DPoP `/search`", Bound: 0.9},
	}
}

// pool hands out single-use values, one per request.
type pool struct {
	values []string
	next   atomic.Int64
}

func (p *pool) take() string {
	i := p.next.Add(1) - 1
	return p.values[int(i)%len(p.values)]
}

// formVary replaces a request's form body with form(p.take()).
func formVary(p *pool, form func(v string) string) func(*http.Request) {
	return func(r *http.Request) {
		body := form(p.take())
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
	}
}

// cryptoPhase runs one grant phase against the CPU time of its
// cryptography, timed before and after it, half of n each.
func (e *env) cryptoPhase(ctx context.Context, r *bench.RunResult, key string, t bench.Target, n int, ops ...func() error) error {
	timeOps := func() (time.Duration, error) {
		var total time.Duration
		for _, op := range ops {
			d, err := bench.CPUPerOp((n+1)/2, op)
			if err != nil {
				return 0, err
			}
			total += d
		}
		return total, nil
	}
	before, err := timeOps()
	if err != nil {
		return err
	}
	s, err := bench.Run(ctx, e.client, t, e.full())
	if err != nil {
		return err
	}
	after, err := timeOps()
	if err != nil {
		return err
	}
	if err := e.record(r, s); err != nil {
		return err
	}
	one := (before + after) / 2
	capacity := bench.Capacity(runtime.NumCPU(), one)
	r.Ratios[key] = ratio(s.Throughput, capacity)
	line := fmt.Sprintf("cryptography of one grant: %s of CPU; capacity %.1f/s; ratio %.3f", one.Round(time.Microsecond), capacity, r.Ratios[key])
	if s.CPU > 0 {
		r.Ratios[key+" cpu"] = ratio(float64(one), float64(s.CPU))
		line += fmt.Sprintf("; CPU efficiency %.3f", r.Ratios[key+" cpu"])
	}
	fmt.Fprintln(e.out, line)
	return nil
}

// s2sRun measures the three service-to-service phases of one run.
func (e *env) s2sRun(ctx context.Context, r *bench.RunResult) error {
	n := 200
	if e.o.alg == "RS256" {
		n = 50
	}
	signOp, err := bench.SignOp(e.o.alg)
	if err != nil {
		return err
	}
	tokenURL := e.o.auth + "/token"

	// client_credentials, authenticated by a private-key assertion.
	key, err := readKey(e.o.pkjwtKey)
	if err != nil {
		return err
	}
	ka := clientcred.KeyAssertion{Key: key, KeyID: keyID(e.o.pkjwtKey)}
	assertions := &pool{values: make([]string, pooled)}
	for i := range assertions.values {
		if assertions.values[i], err = ka.Assertion(ctx, e.o.pkjwtClient, tokenURL); err != nil {
			return err
		}
	}
	verifyAssertion, err := bench.VerifyOp(assertionAlg)
	if err != nil {
		return err
	}
	pk := e.grant("POST /token client_credentials (private_key_jwt)", "grant_type=client_credentials")
	pk.Header = nil
	pk.Vary = formVary(assertions, func(a string) string {
		return url.Values{"grant_type": {"client_credentials"}, "scope": {"search"},
			"client_assertion_type": {clientcred.AssertionType}, "client_assertion": {a}}.Encode()
	})
	if err := e.cryptoPhase(ctx, r, "pkjwt/crypto", pk, n, signOp, verifyAssertion); err != nil {
		return err
	}

	// Token exchange of a user's token, by a client with a secret: the
	// subject token's signature checked, a new token signed.
	subject, err := e.exchangeSubject(ctx)
	if err != nil {
		return err
	}
	verifySubject, err := bench.VerifyOp(e.o.alg)
	if err != nil {
		return err
	}
	ex := e.grant("POST /token token exchange", url.Values{"grant_type": {exchangeGrant}, "subject_token": {subject},
		"subject_token_type": {accessType}, "audience": {"search-api"}}.Encode())
	ex.Header = http.Header{"Authorization": {basicAuth(e.o.exchangeClient, e.o.exchangeSecret)}}
	if err := e.cryptoPhase(ctx, r, "exchange/crypto", ex, n, signOp, verifySubject); err != nil {
		return err
	}

	// /search with DPoP, against / on the same server, in turn.
	dpopKey, err := clientcred.GenerateDPoPKey()
	if err != nil {
		return err
	}
	tok, err := clientcred.TokenSource(ctx, clientcred.Config{TokenURL: tokenURL, ClientID: e.o.clientID,
		ClientSecret: e.o.clientSecret, Scopes: []string{"search"}, DPoP: dpopKey}).Token()
	if err != nil {
		return err
	}
	htu := e.o.rs + "/search"
	proofs, err := bench.DPoPProofs(dpopKey, pooled, http.MethodGet, htu, tok.AccessToken)
	if err != nil {
		return err
	}
	pp := &pool{values: proofs}
	search := e.get("GET /search with DPoP (cache on)", e.o.rs, "/search?query=apple", false)
	search.Vary = func(req *http.Request) {
		req.Header.Set("Authorization", "DPoP "+tok.AccessToken)
		req.Header.Set("DPoP", pp.take())
	}
	ss, err := bench.RunAlternating(ctx, e.client, []bench.Target{e.get("GET / (cache on, beside DPoP)", e.o.rs, "/", false), search}, e.full(), slices)
	if err != nil {
		return err
	}
	if err := e.record(r, ss...); err != nil {
		return err
	}
	proofOp, err := bench.DPoPVerifyOp(n, htu, tok.AccessToken)
	if err != nil {
		return err
	}
	proof, err := bench.CPUPerOp(n, proofOp)
	if err != nil {
		return err
	}
	if ss[0].CPU > 0 {
		limit := bench.Capacity(runtime.NumCPU(), ss[0].CPU+proof)
		r.Ratios["dpop/limit"] = ratio(ss[1].Throughput, limit)
		if ss[1].CPU > 0 {
			r.Ratios["dpop/limit cpu"] = ratio(float64(ss[0].CPU+proof), float64(ss[1].CPU))
		}
		fmt.Fprintf(e.out, "one proof verification: %s of CPU; limit %.1f/s; ratio %.3f\n", proof.Round(time.Microsecond), limit, r.Ratios["dpop/limit"])
	}
	return nil
}

// exchangeSubject signs the benchmark user in through the exchange
// client: the subject token of the exchanges.
func (e *env) exchangeSubject(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.o.auth+"/token", strings.NewReader(url.Values{
		"grant_type": {"password"}, "username": {e.o.username}, "password": {e.o.password}, "scope": {"search"}}.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", basicAuth(e.o.exchangeClient, e.o.exchangeSecret))
	resp, err := e.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("sign-in through the exchange client: status %d, %v", resp.StatusCode, err)
	}
	return body.AccessToken, nil
}
