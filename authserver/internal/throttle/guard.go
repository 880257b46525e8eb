package throttle

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/clientip"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
)

// Addresses finds the source address of a request.
type Addresses interface {
	Addr(r *http.Request) netip.Addr
}

var _ Addresses = (*clientip.Resolver)(nil)

// Options configures a Guard.
type Options struct {
	Account Policy // per normalised user name
	Client  Policy // per client ID
	Address Policy // per source address
	// Capacity is the number of records each of the three Limiters keeps;
	// zero means DefaultCapacity.
	Capacity int
	// Records, if not nil, keeps the failure counts in the store, where
	// every replica sharing it reads and updates the same counts: N
	// replicas then allow what one allows. Nil keeps them in memory, each
	// process its own (one SQLite server). Run keeps the replica's view
	// of which keys failed elsewhere; without it every check reads.
	Records Records
	// SyncEvery is how often Run lists the failures other replicas
	// counted; zero means DefaultSyncEvery.
	SyncEvery time.Duration
	// Addresses finds a request's source address. Required.
	Addresses Addresses
	Now       func() time.Time // default time.Now
	Logger    *slog.Logger     // receives lockouts; default: discard
	// Throttled, if not nil, is called for each request refused by a
	// lockout, with the kind that refused it: "account", "client" or
	// "address".
	Throttled func(kind string)
}

// Guard throttles logins and client authentications. It is safe for
// concurrent use.
type Guard struct {
	counts    counters
	addrs     Addresses
	log       *slog.Logger
	throttled func(kind string)
}

// New returns a Guard.
func New(opts Options) *Guard {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Addresses == nil {
		opts.Addresses = clientip.New(nil)
	}
	policies := [numKinds]Policy{kindAccount: opts.Account, kindClient: opts.Client, kindAddress: opts.Address}
	var c counters = newMemoryCounters(policies, opts.Capacity, opts.Now)
	if opts.Records != nil {
		c = &sharedCounters{records: opts.Records, now: opts.Now, log: opts.Logger, fallback: c.(memoryCounters),
			known: newKnownKeys(), syncEvery: cmp.Or(opts.SyncEvery, DefaultSyncEvery)}
	}
	return &Guard{
		counts:    c,
		addrs:     opts.Addresses,
		log:       opts.Logger,
		throttled: opts.Throttled,
	}
}

// Run keeps, until ctx is done, this replica's view of the keys that
// failed at other replicas, when the counts are shared (Options.Records):
// checks of clients and addresses read the store only for those. Without
// shared counts it returns at once.
func (g *Guard) Run(ctx context.Context) {
	if s, ok := g.counts.(*sharedCounters); ok {
		s.run(ctx)
	}
}

// addressKey is the Limiter key of r's source: an IPv4 address, the /64 of
// an IPv6 address, or "unknown".
func (g *Guard) addressKey(r *http.Request) string {
	a := g.addrs.Addr(r)
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is6():
		p, _ := a.Prefix(64)
		return p.String()
	default:
		return a.String()
	}
}

// AllowClient returns nil if a request from r's source address may try to
// authenticate as clientID, and the 429 answer if the address or the
// client is locked out.
func (g *Guard) AllowClient(r *http.Request, clientID string) error {
	waits := g.counts.locked(r.Context(), limitKey{kindAddress, g.addressKey(r)}, limitKey{kindClient, clientID})
	addrWait, clientWait := waits[0], waits[1]
	wait := max(addrWait, clientWait)
	if wait > 0 {
		if addrWait > 0 {
			g.refused("address")
		} else {
			g.refused("client")
		}
		return oautherr.TooManyRequests(wait)
	}
	return nil
}

func (g *Guard) refused(kind string) {
	if g.throttled != nil {
		g.throttled(kind)
	}
}

// ClientFailed records a failed authentication of clientID from r's source
// address.
func (g *Guard) ClientFailed(r *http.Request, clientID string) {
	addr := g.addressKey(r)
	ctx := r.Context()
	g.lockedOut(r, "client", slog.String("client_id", short(clientID)), g.counts.fail(ctx, limitKey{kindClient, clientID}), addr)
	g.lockedOut(r, "address", slog.String("address", addr), g.counts.fail(ctx, limitKey{kindAddress, addr}), addr)
}

// AccountLocked reports whether the account named username (normalised)
// is locked out. Call it once per login: a locked account counts as a
// refused request (Options.Throttled).
func (g *Guard) AccountLocked(ctx context.Context, username string) bool {
	if g.counts.locked(ctx, limitKey{kindAccount, username})[0] > 0 {
		g.refused("account")
		return true
	}
	return false
}

// LoginFailed records a failed password login to username (normalised;
// empty if the name was not even valid) through clientID from r's source
// address.
func (g *Guard) LoginFailed(r *http.Request, clientID, username string) {
	addr := g.addressKey(r)
	ctx := r.Context()
	if username != "" {
		g.lockedOut(r, "account", slog.String("user", short(username)), g.counts.fail(ctx, limitKey{kindAccount, username}), addr)
	}
	g.lockedOut(r, "client", slog.String("client_id", short(clientID)), g.counts.fail(ctx, limitKey{kindClient, clientID}), addr)
	g.lockedOut(r, "address", slog.String("address", addr), g.counts.fail(ctx, limitKey{kindAddress, addr}), addr)
}

// LoginSucceeded clears the failures of the account: its owner knows the
// password. The client's and the address's failures stay.
func (g *Guard) LoginSucceeded(ctx context.Context, username string) {
	g.counts.reset(ctx, limitKey{kindAccount, username})
}

// short bounds a logged name: a client ID comes straight from the request.
func short(s string) string {
	const max = 128
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}

// lockedOut logs a lockout that has just begun. Names and addresses are
// logged; passwords and secrets never reach this package.
func (g *Guard) lockedOut(r *http.Request, kind string, who slog.Attr, d time.Duration, addr string) {
	if d <= 0 {
		return
	}
	attrs := []any{slog.String("kind", kind), who, slog.Duration("for", d)}
	if kind != "address" {
		attrs = append(attrs, slog.String("last_address", addr))
	}
	g.log.WarnContext(r.Context(), "locked out after repeated authentication failures", attrs...)
}
