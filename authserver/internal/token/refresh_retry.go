package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// SuccessorKeyName is the name of the server secret (store.Store.Secret)
// that successor refresh tokens are derived with.
const SuccessorKeyName = "refresh-successor-v1"

// successorLabel separates this use of the key from any other.
const successorLabel = "fastsafe refresh token successor v1\x00"

// refreshRetry is how the refresh_token grant answers a client that
// presents a refresh token again because it never received the answer to
// its rotation (a crash, a timeout, a lost connection).
//
// The successor of a presented refresh token is not random but derived
// from it: the HMAC-SHA256, under a secret of the server, of the presented
// value. A retry of a rotation therefore computes the same successor, whose
// hash the store recorded as the parent's successor: within the grace
// window, while the successor is unused, the store accepts the retry
// without storing anything, and the client gets the same refresh token
// (and a new access token) instead of a second live one. The store keeps
// only hashes; the secret alone yields nothing without a token value,
// which the store never holds. Without a key, successors are random and a
// retry is always reuse.
type refreshRetry struct {
	// grace is how long after a rotation its parent may be presented
	// again; zero turns retries off.
	grace time.Duration
	// key is the server secret; nil for random successors.
	key []byte
}

// successor returns the refresh token that presented rotates into.
func (r refreshRetry) successor(presented string) string {
	if len(r.key) == 0 {
		return newRefreshValue()
	}
	mac := hmac.New(sha256.New, r.key)
	mac.Write([]byte(successorLabel))
	mac.Write([]byte(presented))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
