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
	// StateRevoked: withdrawn ('authserver keys revoke'): unpublished,
	// never used again, and its tokens inactive.
	StateRevoked KeyState = "revoked"
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
	// lifetime plus PublishLeeway, or when it was revoked. Zero while it
	// has no successor.
	UnpublishAt time.Time
	// RevokedAt is when the key was revoked; zero if it was not.
	RevokedAt time.Time
}

// Describe returns the state of each key at now, ordered by activation
// instant, then ID. tokenTTL is the longest access-token lifetime.
func Describe(keys []store.SigningKey, now time.Time, tokenTTL time.Duration) []KeyInfo {
	eff := effective(keys, tokenTTL)
	ws := schedule(eff, tokenTTL)
	byID := make(map[string]int, len(eff))
	for i, k := range eff {
		byID[k.ID] = i
	}
	keys = slices.Clone(keys)
	sortKeys(keys)
	out := make([]KeyInfo, len(keys))
	for n, k := range keys {
		info := KeyInfo{
			ID:          k.ID,
			Algorithm:   k.Algorithm,
			CreatedAt:   k.CreatedAt,
			ActivatesAt: k.ActivatesAt,
			RevokedAt:   k.RevokedAt,
		}
		if i, ok := byID[k.ID]; ok {
			info.ActivatesAt = eff[i].ActivatesAt
			info.State = ws[i].state(info.ActivatesAt, now)
			info.RetiredAt, info.UnpublishAt = ws[i].retiresAt, ws[i].unpublishAt
		}
		if k.Revoked() {
			// Unpublished at once; it stopped signing then, if it still
			// did, and never signed if it had not begun.
			info.State, info.UnpublishAt = StateRevoked, k.RevokedAt
			switch {
			case k.RevokedAt.Before(info.ActivatesAt):
				info.RetiredAt = time.Time{}
			case info.RetiredAt.IsZero() || k.RevokedAt.Before(info.RetiredAt):
				info.RetiredAt = k.RevokedAt
			}
		}
		out[n] = info
	}
	return out
}

// effective returns keys sorted in the order they take over signing, as
// revocations changed it: a key revoked before it activated never signs
// and takes no part in the schedule, and when a key is revoked while it
// signs, the next key that is not revoked signs from the revocation on,
// without waiting for its activation time (the key that was published
// ahead was meant to take over anyway). Keys revoked after they retired
// change nothing.
func effective(keys []store.SigningKey, tokenTTL time.Duration) []store.SigningKey {
	keys = slices.DeleteFunc(slices.Clone(keys), func(k store.SigningKey) bool {
		return k.Revoked() && k.RevokedAt.Before(k.ActivatesAt)
	})
	sortKeys(keys)
	ws := schedule(keys, tokenTTL)
	for i, k := range keys {
		signing := k.Revoked() && (ws[i].retiresAt.IsZero() || k.RevokedAt.Before(ws[i].retiresAt))
		if !signing {
			continue
		}
		for j := i + 1; j < len(keys); j++ {
			if keys[j].Revoked() {
				continue
			}
			if k.RevokedAt.Before(keys[j].ActivatesAt) {
				keys[j].ActivatesAt = k.RevokedAt
			}
			break
		}
	}
	// A key revoked as it activated comes before its successor, which
	// activates at the same instant.
	slices.SortStableFunc(keys, func(a, b store.SigningKey) int {
		if c := a.ActivatesAt.Compare(b.ActivatesAt); c != 0 {
			return c
		}
		if a.Revoked() != b.Revoked() {
			if a.Revoked() {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return keys
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
