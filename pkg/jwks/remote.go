package jwks

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastsafe/fastsafe/pkg/tracing"
)

// Defaults of RemoteOptions.
const (
	DefaultHTTPTimeout = 10 * time.Second
	DefaultMinRefresh  = time.Minute
	DefaultMaxRefresh  = time.Hour
	DefaultCooldown    = 30 * time.Second
	DefaultMaxBytes    = 1 << 20
	DefaultMaxWait     = 2 * time.Second
)

// MetadataPath is the RFC 8414 well-known path of authorization server
// metadata, from which the JWKS URL is discovered.
const MetadataPath = "/.well-known/oauth-authorization-server"

// Errors returned by Remote.
var (
	// ErrUnknownKey is returned by Remote.Key when the key set, fetched
	// successfully, has no usable key with the requested key id (after a
	// refresh, or while the refresh cooldown that followed a successful
	// one is in effect): a token naming it is not this issuer's.
	ErrUnknownKey = errors.New("jwks: unknown key id")
	// ErrUnavailable is returned by Remote.Key when the requested key id
	// is not cached and the key set cannot be had now: the fetch failed
	// (or the last one did and the cooldown is in effect), or did not end
	// within MaxWait, or no key set was ever loaded. Whether a token
	// naming the key is valid cannot be told: answer 503 with Retry-After,
	// not 401, so that its holder keeps it. It does not wrap
	// ErrUnknownKey.
	ErrUnavailable = errors.New("jwks: key set unavailable")
	// ErrNoUsableKeys is returned by a refresh whose key set holds no key
	// that may be used to verify signatures. The previous keys stay in use.
	ErrNoUsableKeys = errors.New("jwks: key set has no usable signing key")
	// ErrFetch is returned (wrapped) when the key set or the metadata cannot
	// be fetched: network errors, non-200 answers, oversized or malformed
	// documents, refused redirects.
	ErrFetch = errors.New("jwks: fetch failed")
)

// RemoteOptions configures a Remote.
type RemoteOptions struct {
	// URL is the JWKS URL. If empty, it is discovered from the jwks_uri of
	// the RFC 8414 metadata of Issuer, once, at the first fetch.
	URL string
	// Issuer is the authorization server's issuer identifier. Required when
	// URL is empty; the metadata's "issuer" must equal it exactly.
	Issuer string
	// HTTPClient fetches the metadata and the key set. Default: a client
	// with a DefaultHTTPTimeout timeout. Redirects to another host or from
	// https to http are always refused, whatever the client's own policy.
	// A client without a timeout is bounded to DefaultHTTPTimeout per
	// refresh.
	HTTPClient *http.Client
	// MinRefresh is the floor applied to the key set's Cache-Control
	// max-age, and the ceiling of the retry backoff after a failed
	// refresh. Default DefaultMinRefresh.
	MinRefresh time.Duration
	// MaxRefresh is the ceiling applied to the Cache-Control max-age; it is
	// also the refresh interval when the answer has no max-age. Default
	// DefaultMaxRefresh.
	MaxRefresh time.Duration
	// MaxWait bounds how long Key waits for a fetch of the key set when
	// the key id is not cached; the fetch itself goes on in the
	// background, up to the HTTP timeout, and serves the requests that
	// come after. Default DefaultMaxWait (2s).
	MaxWait time.Duration
	// Cooldown is the minimum time between two fetches triggered by
	// unknown key ids: a flood of tokens with unknown kids costs at most
	// one fetch per Cooldown, or per second while the last fetch failed. Background refreshes and explicit Refresh
	// calls are not limited by it. Default DefaultCooldown (30s).
	Cooldown time.Duration
	// MaxBytes bounds the size of the metadata and key set documents.
	// Default DefaultMaxBytes (1 MiB).
	MaxBytes int64
	// Now is the clock used for the cooldown. Default time.Now.
	Now func() time.Time
	// Logger receives refresh failures and skipped keys. Default: discard.
	Logger *slog.Logger
}

// PublicKey is a verification key taken from a key set: its key id, the one
// JWS algorithm it may be used with, and the crypto key (*rsa.PublicKey,
// *ecdsa.PublicKey or ed25519.PublicKey).
type PublicKey struct {
	ID        string
	Algorithm string
	Key       crypto.PublicKey
}

// Remote is a JSON Web Key Set fetched over HTTP from an authorization
// server and cached in memory. It is safe for concurrent use.
//
// The cache is refreshed by Run in the background and, on a lookup of an
// unknown key id, at most once per Cooldown. A refresh that fails, for any
// reason, keeps the last good keys in use; so does a key set that contains
// no usable key.
type Remote struct {
	client       *http.Client
	fetchTimeout time.Duration
	minRefresh   time.Duration
	maxRefresh   time.Duration
	cooldown     time.Duration
	maxWait      time.Duration
	maxBytes     int64
	issuer       string
	now          func() time.Time
	log          *slog.Logger

	keys atomic.Pointer[map[string]PublicKey] // nil until the first good set
	// generation counts the key sets installed that removed or replaced a
	// key; see Generation.
	generation atomic.Uint64

	// Counts for Stats.
	fetches, fetchErrors atomic.Uint64
	lastSuccess          atomic.Int64 // Unix nanoseconds of the last good fetch; 0 before
	// lastFailed: the last fetch that ended did not get a key set.
	lastFailed atomic.Bool

	mu          sync.Mutex
	jwksURL     string        // configured or discovered; guarded by mu
	inflight    *fetchCall    // the running fetch, if any
	lastUnknown time.Time     // start of the last fetch triggered by an unknown kid
	interval    time.Duration // refresh interval derived from the last good answer
}

// fetchCall is one in-flight fetch that concurrent callers wait on.
type fetchCall struct {
	done chan struct{}
	err  error // set before done is closed
}

// NewRemote validates opts and returns a Remote with no keys loaded yet.
// It does not fetch: call Run (usually in its own goroutine) or Refresh.
func NewRemote(opts RemoteOptions) (*Remote, error) {
	if opts.URL == "" && opts.Issuer == "" {
		return nil, errors.New("jwks: either URL or Issuer is required")
	}
	if opts.URL != "" {
		if err := checkHTTPURL(opts.URL); err != nil {
			return nil, fmt.Errorf("jwks: URL: %w", err)
		}
	}
	if opts.Issuer != "" {
		if err := checkHTTPURL(opts.Issuer); err != nil {
			return nil, fmt.Errorf("jwks: Issuer: %w", err)
		}
	}
	if opts.MinRefresh < 0 || opts.MaxRefresh < 0 || opts.Cooldown < 0 || opts.MaxBytes < 0 || opts.MaxWait < 0 {
		return nil, errors.New("jwks: durations and MaxBytes must not be negative")
	}
	r := &Remote{
		minRefresh: cmpOr(opts.MinRefresh, DefaultMinRefresh),
		maxRefresh: cmpOr(opts.MaxRefresh, DefaultMaxRefresh),
		cooldown:   cmpOr(opts.Cooldown, DefaultCooldown),
		maxWait:    cmpOr(opts.MaxWait, DefaultMaxWait),
		maxBytes:   cmpOr(opts.MaxBytes, DefaultMaxBytes),
		issuer:     opts.Issuer,
		jwksURL:    opts.URL,
		now:        opts.Now,
		log:        opts.Logger,
	}
	if r.minRefresh > r.maxRefresh {
		return nil, fmt.Errorf("jwks: MinRefresh %s exceeds MaxRefresh %s", r.minRefresh, r.maxRefresh)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var c http.Client
	if opts.HTTPClient != nil {
		c = *opts.HTTPClient
	} else {
		c.Timeout = DefaultHTTPTimeout
	}
	c.CheckRedirect = sameOriginRedirects(c.CheckRedirect)
	c.Transport = tracing.WrapTransport(c.Transport)
	r.client = &c
	r.fetchTimeout = cmpOr(c.Timeout, DefaultHTTPTimeout)
	r.interval = r.maxRefresh
	return r, nil
}

func cmpOr[T int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if u.User != nil {
		return fmt.Errorf("%q carries credentials", s)
	}
	return nil
}

// sameOriginRedirects refuses redirects to another host or from https to
// http, then defers to next, the client's own policy, if any.
func sameOriginRedirects(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("jwks: too many redirects")
		}
		first := via[0].URL
		if !strings.EqualFold(req.URL.Host, first.Host) {
			return fmt.Errorf("jwks: redirect to another host %q refused", req.URL.Host)
		}
		if first.Scheme == "https" && req.URL.Scheme != "https" {
			return errors.New("jwks: redirect from https to http refused")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// Generation returns a number that changes whenever a key is removed from
// the cached set, or replaced by another key under the same kid (a new
// key set without it, or a key whose private part was published). Adding
// keys does not change it.
//
// Whoever remembers what a key verified (such as a cache of verified
// tokens) reads Generation before using the key, and forgets the result
// once Generation differs: the number changes only after the new set is in
// place, so a result recorded under the old number is never mistaken for
// one made with the new set.
func (r *Remote) Generation() uint64 { return r.generation.Load() }

// install makes keys the cached set, and moves Generation on if a key of
// the previous set is missing from it or differs in it.
func (r *Remote) install(keys map[string]PublicKey) {
	old := r.keys.Swap(&keys)
	if old != nil && dropsOrReplaces(*old, keys) {
		r.generation.Add(1)
	}
}

// dropsOrReplaces reports whether some key of old is absent from next, or
// present with another algorithm or another public key.
func dropsOrReplaces(old, next map[string]PublicKey) bool {
	for kid, o := range old {
		n, ok := next[kid]
		if !ok || n.Algorithm != o.Algorithm || !samePublicKey(o.Key, n.Key) {
			return true
		}
	}
	return false
}

// samePublicKey reports whether a and b are the same public key. The
// crypto public key types all have an Equal method.
func samePublicKey(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}

// RemoteStats are counts of a Remote, for monitoring.
type RemoteStats struct {
	// Fetches and FetchErrors count the fetches of the key set that
	// succeeded and failed since the Remote was made.
	Fetches, FetchErrors uint64
	// Keys is the number of keys in use.
	Keys int
	// LastSuccess is when the last successful fetch ended, by the
	// Remote's clock; zero before the first.
	LastSuccess time.Time
}

// Stats returns the Remote's counts. It does no I/O.
func (r *Remote) Stats() RemoteStats {
	s := RemoteStats{Fetches: r.fetches.Load(), FetchErrors: r.fetchErrors.Load()}
	if m := r.keys.Load(); m != nil {
		s.Keys = len(*m)
	}
	if ns := r.lastSuccess.Load(); ns != 0 {
		s.LastSuccess = time.Unix(0, ns)
	}
	return s
}

// Ready reports whether a key set has been loaded.
func (r *Remote) Ready() bool { return r.keys.Load() != nil }

func (r *Remote) lookup(kid string) (PublicKey, bool) {
	m := r.keys.Load()
	if m == nil {
		return PublicKey{}, false
	}
	k, ok := (*m)[kid]
	return k, ok
}

// Key returns the usable key with id kid.
//
// Cached keys are returned without any I/O. An unknown kid triggers a fetch
// unless a fetch triggered by an unknown kid started less than Cooldown ago;
// concurrent callers share one fetch (a fetch already in flight, background
// or not, is joined). Waiting is bounded by ctx and by MaxWait; the fetch
// goes on without the caller. If a key set was fetched and has no such key,
// the error wraps ErrUnknownKey. If the key set could not be had (the fetch
// failed, or the last one did and the cooldown holds, or the wait ended
// first, or no set was ever loaded), it wraps ErrUnavailable, with the
// fetch error or the context's error if any.
func (r *Remote) Key(ctx context.Context, kid string) (PublicKey, error) {
	if k, ok := r.lookup(kid); ok {
		return k, nil
	}
	r.mu.Lock()
	if k, ok := r.lookup(kid); ok { // a fetch completed meanwhile
		r.mu.Unlock()
		return k, nil
	}
	c := r.inflight
	if c == nil {
		now := r.now()
		if since := now.Sub(r.lastUnknown); !r.lastUnknown.IsZero() && since >= 0 && since < r.cooldownNow() {
			r.mu.Unlock()
			if r.lastFailed.Load() || !r.Ready() {
				return PublicKey{}, fmt.Errorf("%w: key %q not cached, and the last fetch failed (refresh cooldown)", ErrUnavailable, kid)
			}
			return PublicKey{}, fmt.Errorf("%w %q (refresh cooldown)", ErrUnknownKey, kid)
		}
		r.lastUnknown = now
		c = r.startLocked(ctx)
	}
	r.mu.Unlock()

	wait := time.NewTimer(r.maxWait)
	defer wait.Stop()
	select {
	case <-c.done:
	case <-ctx.Done():
		return PublicKey{}, fmt.Errorf("%w: key %q not cached, and the fetch did not end before the request: %w", ErrUnavailable, kid, context.Cause(ctx))
	case <-wait.C:
		return PublicKey{}, fmt.Errorf("%w: key %q not cached, and the fetch did not end within %s", ErrUnavailable, kid, r.maxWait)
	}
	if k, ok := r.lookup(kid); ok {
		return k, nil
	}
	switch {
	case errors.Is(c.err, ErrNoUsableKeys):
		// Fetched, and the issuer vouches for no key of that id.
		return PublicKey{}, fmt.Errorf("%w %q (%w)", ErrUnknownKey, kid, c.err)
	case c.err != nil:
		return PublicKey{}, fmt.Errorf("%w: key %q not cached, and the fetch failed: %w", ErrUnavailable, kid, c.err)
	}
	return PublicKey{}, fmt.Errorf("%w %q", ErrUnknownKey, kid)
}

// failedCooldown bounds the cooldown after a failed fetch: an issuer that
// comes back is tried again within a second, so that tokens of a key not
// yet cached are served soon after, not up to Cooldown later.
const failedCooldown = time.Second

// cooldownNow is the least time between two fetches triggered by unknown
// key ids: Cooldown, or failedCooldown while the last fetch failed.
func (r *Remote) cooldownNow() time.Duration {
	if r.lastFailed.Load() {
		return min(r.cooldown, failedCooldown)
	}
	return r.cooldown
}

// Refresh fetches the key set now, or joins the fetch already in flight, and
// waits for it or for ctx. On failure the previous keys stay in use.
func (r *Remote) Refresh(ctx context.Context) error {
	r.mu.Lock()
	c := r.inflight
	if c == nil {
		c = r.startLocked(ctx)
	}
	r.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Run refreshes the key set until ctx is done: first at once, then after
// the Cache-Control max-age of the last good answer (bounded by MinRefresh
// and MaxRefresh). After a failure it retries with exponential backoff,
// from min(1s, MinRefresh) up to MinRefresh, with jitter.
func (r *Remote) Run(ctx context.Context) {
	failures := 0
	for {
		err := r.Refresh(ctx)
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration
		if err != nil {
			wait = r.backoff(failures)
			failures++
			r.log.Warn("jwks refresh failed; keeping the last good keys",
				"error", err, "retry_in", wait, "ready", r.Ready())
		} else {
			failures = 0
			r.mu.Lock()
			wait = r.interval
			r.mu.Unlock()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (r *Remote) backoff(failures int) time.Duration {
	d := min(time.Second, r.minRefresh)
	for i := 0; i < failures && d < r.minRefresh; i++ {
		d *= 2
	}
	d = min(d, r.minRefresh)
	// Up to 20% jitter, so that many resource servers do not retry in step.
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// startLocked starts a fetch in its own goroutine. The fetch outlives the
// caller's cancellation (other callers may be waiting on it) but not the
// fetch timeout. r.mu must be held.
func (r *Remote) startLocked(ctx context.Context) *fetchCall {
	c := &fetchCall{done: make(chan struct{})}
	r.inflight = c
	go func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.fetchTimeout)
		defer cancel()
		err := r.fetch(fctx)
		// A set without usable keys was fetched all the same.
		r.lastFailed.Store(err != nil && !errors.Is(err, ErrNoUsableKeys))
		if err != nil {
			r.fetchErrors.Add(1)
		} else {
			r.fetches.Add(1)
			r.lastSuccess.Store(r.now().UnixNano())
		}
		r.mu.Lock()
		r.inflight = nil
		c.err = err
		r.mu.Unlock()
		close(c.done)
	}()
	return c
}

// fetch loads the key set and installs it if it has a usable key. A
// fetch triggered inside a recorded trace runs in a span.
func (r *Remote) fetch(ctx context.Context) (err error) {
	ctx, span := tracing.Start(ctx, "jwks fetch")
	defer func() { tracing.End(span, err) }()
	r.mu.Lock()
	u := r.jwksURL
	r.mu.Unlock()
	if u == "" {
		var err error
		if u, err = r.discover(ctx); err != nil {
			return err
		}
		r.mu.Lock()
		r.jwksURL = u
		r.mu.Unlock()
	}
	body, header, err := r.get(ctx, u, "application/jwk-set+json, application/json")
	if err != nil {
		return err
	}
	keys, compromised, err := r.parseSet(body)
	if len(compromised) > 0 {
		r.evict(compromised)
	}
	if err != nil {
		return err
	}
	interval := refreshInterval(header, r.minRefresh, r.maxRefresh)
	r.install(keys)
	r.mu.Lock()
	r.interval = interval
	r.mu.Unlock()
	r.log.Debug("jwks refreshed", "url", u, "keys", len(keys), "next_refresh", interval)
	return nil
}

// evict removes keys whose private part was published: they are
// compromised and never used again, even if the set holds nothing else.
func (r *Remote) evict(kids []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.keys.Load()
	if old == nil {
		return
	}
	m := make(map[string]PublicKey, len(*old))
	for kid, k := range *old {
		if !slices.Contains(kids, kid) {
			m[kid] = k
		}
	}
	r.install(m)
}

// metadataURLs returns where the RFC 8414 metadata of issuer may be: the
// well-known path inserted before the issuer's path (RFC 8414 §3.1) and,
// for an issuer with a path, appended to it as OpenID Connect does.
func metadataURLs(issuer string) []string {
	u, err := url.Parse(issuer)
	if err != nil {
		return nil
	}
	path := strings.TrimSuffix(u.Path, "/")
	inserted := *u
	inserted.Path = MetadataPath + path
	inserted.RawPath = ""
	out := []string{inserted.String()}
	if path != "" {
		appended := *u
		appended.Path = path + MetadataPath
		appended.RawPath = ""
		out = append(out, appended.String())
	}
	return out
}

// discover returns the jwks_uri of the issuer's metadata.
func (r *Remote) discover(ctx context.Context) (string, error) {
	var errs []error
	for _, mu := range metadataURLs(r.issuer) {
		body, _, err := r.get(ctx, mu, "application/json")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var md struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.Unmarshal(body, &md); err != nil {
			return "", fmt.Errorf("%w: metadata %s: %v", ErrFetch, mu, err)
		}
		if md.Issuer != r.issuer {
			return "", fmt.Errorf("%w: metadata %s names issuer %q, want %q", ErrFetch, mu, md.Issuer, r.issuer)
		}
		if err := checkHTTPURL(md.JWKSURI); err != nil {
			return "", fmt.Errorf("%w: metadata jwks_uri: %v", ErrFetch, err)
		}
		if strings.HasPrefix(r.issuer, "https:") && !strings.HasPrefix(md.JWKSURI, "https:") {
			return "", fmt.Errorf("%w: metadata jwks_uri %q is not https", ErrFetch, md.JWKSURI)
		}
		return md.JWKSURI, nil
	}
	return "", errors.Join(errs...)
}

// get fetches u and returns its body, bounded by MaxBytes.
func (r *Remote) get(ctx context.Context, u, accept string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	req.Header.Set("Accept", accept)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%w: %s answered %s", ErrFetch, u, resp.Status)
	}
	if resp.ContentLength > r.maxBytes {
		return nil, nil, fmt.Errorf("%w: %s: document larger than %d bytes", ErrFetch, u, r.maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.maxBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrFetch, u, err)
	}
	if int64(len(body)) > r.maxBytes {
		return nil, nil, fmt.Errorf("%w: %s: document larger than %d bytes", ErrFetch, u, r.maxBytes)
	}
	return body, resp.Header, nil
}

// rawKey is a JWK as found on the wire, with the members that must not be
// there (private key parts) so that their presence can be detected.
type rawKey struct {
	Key
	KeyOps []string `json:"key_ops"`

	D   string          `json:"d"`
	P   string          `json:"p"`
	Q   string          `json:"q"`
	DP  string          `json:"dp"`
	DQ  string          `json:"dq"`
	QI  string          `json:"qi"`
	Oth json.RawMessage `json:"oth"`
	K   string          `json:"k"`
}

func (k *rawKey) hasPrivate() bool {
	return k.D != "" || k.P != "" || k.Q != "" || k.DP != "" || k.DQ != "" || k.QI != "" || len(k.Oth) > 0 || k.K != ""
}

// algKeys is what each supported JWS algorithm requires of a key.
var algKeys = map[string]struct{ kty, crv string }{
	"RS256": {"RSA", ""},
	"RS384": {"RSA", ""},
	"RS512": {"RSA", ""},
	"PS256": {"RSA", ""},
	"ES256": {"EC", "P-256"},
	"ES384": {"EC", "P-384"},
	"EdDSA": {"OKP", "Ed25519"},
}

// SupportedAlgorithms reports the JWS algorithms whose keys Remote uses.
func SupportedAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"}
}

// parseSet decodes a key set and returns its usable keys by kid, and the
// kids of keys that carried private members. It fails if there is no usable
// key.
func (r *Remote) parseSet(body []byte) (map[string]PublicKey, []string, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, nil, fmt.Errorf("%w: key set: %v", ErrFetch, err)
	}
	keys := make(map[string]PublicKey, len(set.Keys))
	var compromised []string
	for i, raw := range set.Keys {
		var rk rawKey
		if err := json.Unmarshal(raw, &rk); err != nil {
			r.log.Warn("jwks: skipping malformed key", "index", i, "error", err)
			continue
		}
		if rk.hasPrivate() {
			r.log.Error("jwks: key set publishes private key material; key refused", "kid", rk.Kid)
			if rk.Kid != "" {
				compromised = append(compromised, rk.Kid)
			}
			continue
		}
		pk, err := usable(rk)
		if err != nil {
			r.log.Warn("jwks: skipping key", "kid", rk.Kid, "reason", err)
			continue
		}
		if _, dup := keys[pk.ID]; dup {
			r.log.Warn("jwks: skipping key with a duplicate kid", "kid", pk.ID)
			continue
		}
		keys[pk.ID] = pk
	}
	for _, kid := range compromised {
		delete(keys, kid)
	}
	if len(keys) == 0 {
		return nil, compromised, ErrNoUsableKeys
	}
	return keys, compromised, nil
}

// usable checks that k is a public signature key for a supported algorithm,
// consistent with its type and curve, and decodes it.
func usable(k rawKey) (PublicKey, error) {
	if k.Kid == "" {
		return PublicKey{}, errors.New("no kid")
	}
	if k.Use != "" && k.Use != "sig" {
		return PublicKey{}, fmt.Errorf("use %q", k.Use)
	}
	if k.KeyOps != nil && !slices.Contains(k.KeyOps, "verify") {
		return PublicKey{}, errors.New("key_ops lacks verify")
	}
	want, ok := algKeys[k.Alg]
	if !ok {
		return PublicKey{}, fmt.Errorf("alg %q not supported", k.Alg)
	}
	if k.Kty != want.kty || k.Crv != want.crv {
		return PublicKey{}, fmt.Errorf("kty %q crv %q do not fit alg %q", k.Kty, k.Crv, k.Alg)
	}
	pub, err := k.PublicKey()
	if err != nil {
		return PublicKey{}, err
	}
	return PublicKey{ID: k.Kid, Algorithm: k.Alg, Key: pub}, nil
}

// refreshInterval derives the refresh interval from Cache-Control max-age
// (less Age), bounded by lo and hi. no-cache and no-store mean lo; no
// max-age means hi.
func refreshInterval(h http.Header, lo, hi time.Duration) time.Duration {
	d, ok := maxAge(h)
	if !ok {
		return hi
	}
	return min(max(d, lo), hi)
}

func maxAge(h http.Header) (time.Duration, bool) {
	var (
		d     time.Duration
		found bool
	)
	for _, v := range h.Values("Cache-Control") {
		for dir := range strings.SplitSeq(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0, true
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
				if err != nil || n < 0 {
					continue
				}
				found = true
				d = time.Duration(min(n, maxSeconds)) * time.Second
			}
		}
	}
	if !found {
		return 0, false
	}
	if age, err := strconv.ParseInt(strings.TrimSpace(h.Get("Age")), 10, 64); err == nil && age > 0 {
		d -= time.Duration(min(age, maxSeconds)) * time.Second
	}
	return max(d, 0), true
}

// maxSeconds bounds parsed header values so that converting them to a
// time.Duration cannot overflow.
const maxSeconds = 1 << 31
