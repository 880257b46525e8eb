package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"
)

// Nonces issues DPoP nonces (RFC 9449 §8) that need no storage: a nonce
// is the current time slot and its HMAC under a secret, so that every
// replica holding the same secret issues and accepts the same nonces. A
// nonce is accepted during its slot and the next, from one to two
// lifetimes. It is safe for concurrent use.
type Nonces struct {
	secret   []byte
	lifetime time.Duration
	now      func() time.Time
}

// NewNonces returns Nonces under secret (at least 32 bytes), changing
// every lifetime (at least a second), reading the time from now (time.Now
// if nil).
func NewNonces(secret []byte, lifetime time.Duration, now func() time.Time) (*Nonces, error) {
	if len(secret) < 32 {
		return nil, errors.New("verify: nonce secret shorter than 32 bytes")
	}
	if lifetime < time.Second {
		return nil, errors.New("verify: nonce lifetime under a second")
	}
	if now == nil {
		now = time.Now
	}
	return &Nonces{secret: append([]byte(nil), secret...), lifetime: lifetime, now: now}, nil
}

func (n *Nonces) slot() uint64 { return uint64(n.now().UnixNano() / int64(n.lifetime)) }

func (n *Nonces) make(slot uint64) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], slot)
	m := hmac.New(sha256.New, n.secret)
	m.Write(b[:8])
	copy(b[8:], m.Sum(nil))
	return b64.EncodeToString(b[:])
}

// Nonce returns the current nonce.
func (n *Nonces) Nonce() string { return n.make(n.slot()) }

// Valid reports whether nonce is the current nonce or the one before.
func (n *Nonces) Valid(nonce string) bool {
	raw, err := b64.DecodeString(nonce)
	if err != nil || len(raw) != 24 {
		return false
	}
	slot, cur := binary.BigEndian.Uint64(raw[:8]), n.slot()
	if slot != cur && slot+1 != cur {
		return false
	}
	return hmac.Equal([]byte(n.make(slot)), []byte(nonce))
}
