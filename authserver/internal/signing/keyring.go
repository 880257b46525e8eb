package signing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// KeyStore is the storage the keyring needs.
type KeyStore interface {
	// CreateSigningKey adds a key; store.ErrAlreadyExists for a duplicate ID.
	CreateSigningKey(ctx context.Context, k store.SigningKey) error
	// ListSigningKeys returns every key.
	ListSigningKeys(ctx context.Context) ([]store.SigningKey, error)
	// DeleteSigningKey removes a key; store.ErrNotFound if there is none.
	DeleteSigningKey(ctx context.Context, id string) error
}

// Defaults for zero Options fields.
const (
	// DefaultReloadInterval bounds how long a key another process
	// added or revoked takes to be published, used, or dropped here.
	DefaultReloadInterval = 2 * time.Second
	// DefaultTokenTTL errs on the side of publishing retired keys for too
	// long, which is harmless, rather than too short.
	DefaultTokenTTL = 24 * time.Hour
)

// Errors returned by Sign and Keyfunc.
var (
	ErrNoActiveKey = errors.New("signing: no active key")
	ErrUnknownKey  = errors.New("signing: unknown or unpublished key")
	ErrAlgMismatch = errors.New("signing: token algorithm does not match its key")
)

// Options configure a Keyring. Zero fields take the documented defaults.
type Options struct {
	// Algorithm of the first key, generated when the store has none
	// (DefaultAlgorithm).
	Algorithm string
	// TokenTTL is the longest access-token lifetime: a retired key stays
	// published this long, plus PublishLeeway, after retirement
	// (DefaultTokenTTL).
	TokenTTL time.Duration
	// ReloadInterval is how often Run reloads the keys from the store, so
	// that keys added by other processes are seen (DefaultReloadInterval).
	ReloadInterval time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
	// Logger receives reload failures and key lifecycle events, never key
	// material (discarded by default).
	Logger *slog.Logger
	// Revoked, if not nil, is called for each key this keyring published
	// and then found revoked, once it no longer publishes or uses it.
	Revoked func(kid string)
}

// Keyring signs access tokens with the active key and publishes the JWKS.
// Its methods are safe for concurrent use; Sign, JWKS and Keyfunc do not
// block on Load.
type Keyring struct {
	ks     KeyStore
	alg    string
	ttl    time.Duration
	reload time.Duration
	now    func() time.Time
	log    *slog.Logger

	mu     sync.Mutex      // serialises Load
	parsed map[string]*key // by ID; guarded by mu
	// revokedHook is Options.Revoked.
	revokedHook func(kid string)

	state atomic.Pointer[ringState]
}

// ringState is an immutable snapshot of the published keys.
type ringState struct {
	entries []entry // by activation instant, then ID
	jwks    []byte
	// jwksUntil is when the first key in jwks is unpublished and jwks must
	// be rebuilt; zero if no key in it is ever unpublished.
	jwksUntil time.Time
	// revoked is the number of revoked keys still in the store.
	revoked int
}

type entry struct {
	*key
	window
}

var emptyJWKS = []byte(`{"keys":[]}`)

// NewKeyring returns a keyring over ks. It holds no keys until Load.
func NewKeyring(ks KeyStore, opts Options) *Keyring {
	k := &Keyring{
		ks:     ks,
		alg:    opts.Algorithm,
		ttl:    opts.TokenTTL,
		reload: opts.ReloadInterval,
		now:    opts.Now,
		log:    opts.Logger,
		parsed: make(map[string]*key),

		revokedHook: opts.Revoked,
	}
	if k.alg == "" {
		k.alg = DefaultAlgorithm
	}
	if k.ttl <= 0 {
		k.ttl = DefaultTokenTTL
	}
	if k.reload <= 0 {
		k.reload = DefaultReloadInterval
	}
	if k.now == nil {
		k.now = time.Now
	}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	return k
}

// Load reads the keys from the store and makes them current. If none of
// them can sign, now or later (the store has none, or every key was
// revoked), it generates one with the configured algorithm, active at once.
// Each key is parsed once: reloads reuse parsed keys by ID. Revoked keys are
// neither published nor used. Expired keys, and revoked keys once every
// token they signed has expired, are deleted from the store. On error the
// previous keys stay current.
func (k *Keyring) Load(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()

	keys, err := k.ks.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("signing: listing keys: %w", err)
	}
	now := k.now()
	eff := effective(keys, k.ttl)
	ws := schedule(eff, k.ttl)
	if !canSign(eff, ws, now) {
		nk, err := GenerateKey(k.alg, now, now)
		if err != nil {
			return err
		}
		if err := k.ks.CreateSigningKey(ctx, nk); err != nil {
			return fmt.Errorf("signing: storing key %s: %w", nk.ID, err)
		}
		msg := "signing: generated first key"
		if len(keys) > 0 {
			msg = "signing: generated a key, as no key could sign"
		}
		k.log.Info(msg, "audit", true, "actor", "server", "kid", nk.ID, "alg", nk.Algorithm)
		// Another process may have generated one at the same time; the
		// rules pick the same active key for both.
		if keys, err = k.ks.ListSigningKeys(ctx); err != nil {
			return fmt.Errorf("signing: listing keys: %w", err)
		}
		eff = effective(keys, k.ttl)
		ws = schedule(eff, k.ttl)
	}

	parsed := make(map[string]*key, len(keys))
	entries := make([]entry, 0, len(keys))
	var expired, revoked []string
	for _, sk := range keys {
		if sk.Revoked() {
			revoked = append(revoked, sk.ID)
			if !now.Before(sk.RevokedAt.Add(k.ttl + PublishLeeway)) {
				expired = append(expired, sk.ID)
			}
		}
	}
	for i, sk := range eff {
		if sk.Revoked() {
			continue
		}
		if ws[i].state(sk.ActivatesAt, now) == StateExpired {
			expired = append(expired, sk.ID)
			continue
		}
		pk := k.parsed[sk.ID]
		if pk == nil {
			if pk, err = parseKey(sk); err != nil {
				return err
			}
		}
		pk = pk.activatingAt(sk.ActivatesAt)
		parsed[sk.ID] = pk
		entries = append(entries, entry{pk, ws[i]})
	}
	st, err := newState(entries, now)
	if err != nil {
		return err
	}
	st.revoked = len(revoked)
	prev := k.state.Load()
	k.parsed = parsed
	k.state.Store(st)
	k.noticeRevocations(prev, revoked)
	if st.active(now) == nil {
		k.log.Warn("signing: no key is active yet; tokens cannot be signed")
	}

	for _, id := range expired {
		err := k.ks.DeleteSigningKey(ctx, id)
		switch {
		case err == nil:
			k.log.Info("signing: deleted expired key", "audit", true, "actor", "server", "kid", id)
		case errors.Is(err, store.ErrNotFound): // deleted by another process
		default:
			k.log.Warn("signing: deleting expired key", "kid", id, "err", err)
		}
	}
	return nil
}

// canSign reports whether a key of eff, the effective keys that ws
// schedules, signs at now or will later: one that is not revoked and is
// active or next (the states Describe gives).
func canSign(eff []store.SigningKey, ws []window, now time.Time) bool {
	for i, sk := range eff {
		if sk.Revoked() {
			continue
		}
		if st := ws[i].state(sk.ActivatesAt, now); st == StateActive || st == StateNext {
			return true
		}
	}
	return false
}

// noticeRevocations logs, and counts, each key of revoked that the
// previous state published: this keyring stopped publishing and using it.
func (k *Keyring) noticeRevocations(prev *ringState, revoked []string) {
	if prev == nil {
		return
	}
	for _, id := range revoked {
		for _, e := range prev.entries {
			if e.id == id {
				k.log.Warn("signing: key revoked; no longer published or used, its tokens inactive", "kid", id)
				if k.revokedHook != nil {
					k.revokedHook(id)
				}
			}
		}
	}
}

// Run reloads the keys every ReloadInterval until ctx is done. A failed
// reload is logged and the previous keys stay current. Call Load once
// before Run.
func (k *Keyring) Run(ctx context.Context) {
	t := time.NewTicker(k.reload)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.Load(ctx); err != nil && ctx.Err() == nil {
				k.log.Error("signing: reloading keys failed; keeping the previous keys", "err", err)
			}
		}
	}
}

// Sign returns the compact JWS of c signed with the key active now, with the
// header {"alg":…,"typ":"at+jwt","kid":…}.
func (k *Keyring) Sign(c jwt.Claims) (string, error) {
	if c == nil {
		return "", errors.New("signing: nil claims")
	}
	e, err := k.activeKey()
	if err != nil {
		return "", err
	}
	return e.sign(e.header, c)
}

// SignIDToken signs an OpenID Connect ID token (JOSE typ JWT) with the
// active key. build makes the claims for the key's algorithm, which
// decides the hash of at_hash (OpenID Connect Core §3.1.3.6).
func (k *Keyring) SignIDToken(build func(alg string) jwt.Claims) (string, error) {
	e, err := k.activeKey()
	if err != nil {
		return "", err
	}
	c := build(e.alg)
	if c == nil {
		return "", errors.New("signing: nil claims")
	}
	return e.sign(e.idHeader, c)
}

// activeKey returns the key that signs now.
func (k *Keyring) activeKey() (*entry, error) {
	st := k.state.Load()
	if st == nil {
		return nil, ErrNoActiveKey
	}
	e := st.active(k.now())
	if e == nil {
		return nil, ErrNoActiveKey
	}
	return e, nil
}

// sign signs c as a compact JWS with the encoded header.
func (e *key) sign(header []byte, c jwt.Claims) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("signing: encoding claims: %w", err)
	}
	buf := make([]byte, 0, len(header)+b64.EncodedLen(len(payload))+1+b64.EncodedLen(e.sigLen))
	buf = append(buf, header...)
	buf = b64.AppendEncode(buf, payload)
	sig, err := e.method.Sign(string(buf), e.private)
	if err != nil {
		return "", fmt.Errorf("signing: signing with key %s: %w", e.id, err)
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}

// JWKS returns the JSON Web Key Set to publish: the public parts of the
// next, active and retired keys. The document is computed when keys are
// loaded or one is unpublished, not per call; callers must not modify it.
// Before the first Load it is an empty set.
func (k *Keyring) JWKS() []byte {
	st := k.state.Load()
	if st == nil {
		return emptyJWKS
	}
	if st.jwksUntil.IsZero() {
		return st.jwks
	}
	now := k.now()
	if now.Before(st.jwksUntil) {
		return st.jwks
	}
	// A retired key's time is up since the last Load: rebuild without it.
	next, err := newState(st.entries, now)
	if err != nil {
		return st.jwks
	}
	k.state.CompareAndSwap(st, next)
	return next.jwks
}

// Keyfunc returns the public key for t's "kid" if that key is published,
// after checking that t's algorithm is the key's. It is a jwt.Keyfunc for
// verifying the server's own tokens.
func (k *Keyring) Keyfunc(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	st := k.state.Load()
	if kid == "" || st == nil {
		return nil, ErrUnknownKey
	}
	now := k.now()
	for _, e := range st.entries {
		if e.id != kid {
			continue
		}
		if !e.published(now) {
			return nil, ErrUnknownKey
		}
		if t.Method == nil || t.Method.Alg() != e.alg {
			return nil, ErrAlgMismatch
		}
		return e.public, nil
	}
	return nil, ErrUnknownKey
}

// newState returns the snapshot of entries at now.
func newState(entries []entry, now time.Time) (*ringState, error) {
	set := jwks.Set{Keys: make([]jwks.Key, 0, len(entries))}
	var until time.Time
	for _, e := range entries {
		if !e.published(now) {
			continue
		}
		set.Keys = append(set.Keys, e.jwk)
		if !e.unpublishAt.IsZero() && (until.IsZero() || e.unpublishAt.Before(until)) {
			until = e.unpublishAt
		}
	}
	doc, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("signing: encoding JWKS: %w", err)
	}
	return &ringState{entries: entries, jwks: doc, jwksUntil: until}, nil
}

// active returns the newest entry activated by now, unless it retired
// (when the key that was to succeed it was revoked before it activated),
// or nil.
func (s *ringState) active(now time.Time) *entry {
	for i := len(s.entries) - 1; i >= 0; i-- {
		e := &s.entries[i]
		if !now.Before(e.activatesAt) {
			if !e.retiresAt.IsZero() && !now.Before(e.retiresAt) {
				return nil
			}
			return e
		}
	}
	return nil
}
