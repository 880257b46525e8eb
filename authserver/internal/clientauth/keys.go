package clientauth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// Limits of the key sets kept for assertions.
const (
	// remoteTTL is how long a key set fetched from a URL is used before it
	// is fetched again, so that a key a client or an issuer removed stops
	// being trusted within it.
	remoteTTL = 5 * time.Minute
	// maxCached bounds each cache of key sets; past it the cache starts
	// afresh.
	maxCached = 1024
	// fetchTimeout bounds one fetch of metadata or a key set.
	fetchTimeout = 5 * time.Second
	// maxMetadata bounds a discovery document.
	maxMetadata = 1 << 20
)

// errNoKeys: no key could be found for an assertion.
var errNoKeys = errors.New("clientauth: no key for the assertion")

// KeySets finds the public keys that verify client assertions: a client's
// own registered key set, parsed once per content; a client's jwks_uri,
// or a trusted issuer's key set, fetched and cached (package jwks: bounded
// size, no redirect to another host, a fetch per unknown kid at most
// every 30 seconds), and fetched anew every five minutes. It is safe for
// concurrent use.
type KeySets struct {
	http *http.Client
	now  func() time.Time

	mu      sync.Mutex
	inline  map[[sha256.Size]byte][]jwks.PublicKey
	remotes map[string]remoteSet
}

type remoteSet struct {
	keys    *jwks.Remote
	fetched time.Time
}

// NewKeySets returns KeySets fetching with client (nil: a client with a
// five-second timeout) and reading the time from now.
func NewKeySets(client *http.Client, now func() time.Time) *KeySets {
	if client == nil {
		client = &http.Client{Timeout: fetchTimeout}
	}
	return &KeySets{http: client, now: now, inline: map[[sha256.Size]byte][]jwks.PublicKey{}, remotes: map[string]remoteSet{}}
}

// Client returns the keys of c that may verify an assertion naming kid
// ("" for none): its registered key set, or the one at its jwks_uri.
func (k *KeySets) Client(ctx context.Context, c store.Client, kid string) ([]jwks.PublicKey, error) {
	if c.JWKS != "" {
		return k.parsed(c.JWKS)
	}
	if c.JWKSURI == "" {
		return nil, errNoKeys
	}
	return k.remoteKey(ctx, c.JWKSURI, "", kid)
}

// Issuer returns the key of the trusted issuer i that kid names: from
// its registered key set URL, or the jwks_uri of its OpenID Connect
// discovery document.
func (k *KeySets) Issuer(ctx context.Context, i store.TrustedIssuer, kid string) ([]jwks.PublicKey, error) {
	return k.remoteKey(ctx, i.JWKSURL, i.Issuer, kid)
}

// parsed returns the keys of a registered key set.
func (k *KeySets) parsed(set string) ([]jwks.PublicKey, error) {
	sum := sha256.Sum256([]byte(set))
	k.mu.Lock()
	keys, ok := k.inline[sum]
	k.mu.Unlock()
	if ok {
		return keys, nil
	}
	keys, err := jwks.ParseSet([]byte(set))
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	if len(k.inline) >= maxCached {
		k.inline = map[[sha256.Size]byte][]jwks.PublicKey{}
	}
	k.inline[sum] = keys
	k.mu.Unlock()
	return keys, nil
}

// remoteKey returns the key kid of the key set at url or, when url is
// empty, of issuer's discovery document.
func (k *KeySets) remoteKey(ctx context.Context, url, issuer, kid string) ([]jwks.PublicKey, error) {
	if kid == "" {
		// A fetched key set is only ever searched by kid.
		return nil, errNoKeys
	}
	name := url
	if name == "" {
		name = "issuer " + issuer
	}
	now := k.now()
	k.mu.Lock()
	rs, ok := k.remotes[name]
	if !ok || now.Sub(rs.fetched) >= remoteTTL || now.Before(rs.fetched) {
		rs = remoteSet{fetched: now}
		k.mu.Unlock()
		if url == "" {
			var err error
			if url, err = k.discover(ctx, issuer); err != nil {
				return nil, err
			}
		}
		r, err := jwks.NewRemote(jwks.RemoteOptions{URL: url, HTTPClient: k.http, Now: k.now})
		if err != nil {
			return nil, err
		}
		rs.keys = r
		k.mu.Lock()
		if len(k.remotes) >= maxCached {
			k.remotes = map[string]remoteSet{}
		}
		k.remotes[name] = rs
	}
	k.mu.Unlock()
	key, err := rs.keys.Key(ctx, kid)
	if err != nil {
		return nil, err
	}
	return []jwks.PublicKey{key}, nil
}

// discover reads the jwks_uri of issuer's OpenID Connect discovery
// document (which Kubernetes and CI systems publish), whose "issuer" must
// be issuer exactly.
func (k *KeySets) discover(ctx context.Context, issuer string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("clientauth: discovery of %s: %w", issuer, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("clientauth: discovery of %s: status %d", issuer, resp.StatusCode)
	}
	var md struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMetadata)).Decode(&md); err != nil {
		return "", fmt.Errorf("clientauth: discovery of %s: %w", issuer, err)
	}
	if md.Issuer != issuer || md.JWKSURI == "" {
		return "", fmt.Errorf("clientauth: discovery of %s names issuer %q and jwks_uri %q", issuer, md.Issuer, md.JWKSURI)
	}
	return md.JWKSURI, nil
}
