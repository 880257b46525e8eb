package signing

import (
	"cmp"
	"slices"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// PublishLeeway is how much longer than the longest token lifetime a
// retired key stays published, covering clock skew between servers and
// tokens signed just before a server noticed the retirement.
const PublishLeeway = time.Minute

// KeyState is where a key is in its life.
type KeyState string

// Key states, in the order a key passes through them.
const (
	StateNext    KeyState = "next"    // published, not signing yet
	StateActive  KeyState = "active"  // published and signing
	StateRetired KeyState = "retired" // published, no longer signing
	StateExpired KeyState = "expired" // unpublished; may be deleted
)

// KeyInfo describes a key's life, for display.
type KeyInfo struct {
	ID        string
	Algorithm string
	State     KeyState
	CreatedAt time.Time
	// ActivatesAt is when the key starts (or started) signing.
	ActivatesAt time.Time
	// RetiredAt is when the key stops (or stopped) signing: its
	// successor's ActivatesAt. Zero while it has no successor.
	RetiredAt time.Time
	// UnpublishAt is when the key leaves the JWKS: RetiredAt plus the token
	// lifetime plus PublishLeeway. Zero while it has no successor.
	UnpublishAt time.Time
}

// Describe returns the state of each key at now, ordered by activation
// instant, then ID. tokenTTL is the longest access-token lifetime.
func Describe(keys []store.SigningKey, now time.Time, tokenTTL time.Duration) []KeyInfo {
	keys = slices.Clone(keys)
	sortKeys(keys)
	ws := schedule(keys, tokenTTL)
	out := make([]KeyInfo, len(keys))
	for i, k := range keys {
		out[i] = KeyInfo{
			ID:          k.ID,
			Algorithm:   k.Algorithm,
			State:       ws[i].state(k.ActivatesAt, now),
			CreatedAt:   k.CreatedAt,
			ActivatesAt: k.ActivatesAt,
			RetiredAt:   ws[i].retiresAt,
			UnpublishAt: ws[i].unpublishAt,
		}
	}
	return out
}

// sortKeys orders keys by activation instant, then ID: the order in which
// they take over signing.
func sortKeys(keys []store.SigningKey) {
	slices.SortFunc(keys, func(a, b store.SigningKey) int {
		if c := a.ActivatesAt.Compare(b.ActivatesAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// window is when a key stops signing and when it leaves the JWKS; both are
// zero while the key has no successor.
type window struct {
	retiresAt   time.Time
	unpublishAt time.Time
}

// schedule returns the window of each of keys, which must be sorted.
func schedule(keys []store.SigningKey, tokenTTL time.Duration) []window {
	ws := make([]window, len(keys))
	for i := range len(keys) - 1 {
		r := keys[i+1].ActivatesAt
		ws[i] = window{retiresAt: r, unpublishAt: r.Add(tokenTTL + PublishLeeway)}
	}
	return ws
}

// state returns the state at now of a key activating at activatesAt.
func (w window) state(activatesAt, now time.Time) KeyState {
	switch {
	case now.Before(activatesAt):
		return StateNext
	case w.retiresAt.IsZero() || now.Before(w.retiresAt):
		return StateActive
	case now.Before(w.unpublishAt):
		return StateRetired
	default:
		return StateExpired
	}
}

// published reports whether the key is in the JWKS at now.
func (w window) published(now time.Time) bool {
	return w.unpublishAt.IsZero() || now.Before(w.unpublishAt)
}
