package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
)

const (
	// MinLength is the shortest secret Validate accepts, in characters.
	MinLength = 32
	// MaxLength is the longest secret Validate accepts, in characters.
	MaxLength = 512
)

// Errors returned by Validate.
var (
	ErrTooShort    = fmt.Errorf("secret: shorter than %d characters", MinLength)
	ErrTooLong     = fmt.Errorf("secret: longer than %d characters", MaxLength)
	ErrInvalidChar = errors.New("secret: characters other than visible ASCII (0x21-0x7E)")
)

// Generate returns a new secret: 32 random bytes, base64url-encoded without
// padding (43 characters, 256 bits of entropy).
func Generate() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("secret: generating: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Validate reports whether s is acceptable as a client secret chosen by an
// operator: MinLength to MaxLength characters, each visible ASCII (no space,
// no control character, nothing beyond ASCII). The error never contains s.
func Validate(s string) error {
	switch {
	case len(s) < MinLength:
		return ErrTooShort
	case len(s) > MaxLength:
		return ErrTooLong
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return ErrInvalidChar
		}
	}
	return nil
}

// Hash returns the SHA-256 of s, the form in which secrets are stored.
func Hash(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// Equal reports whether presented is the secret whose hash is hash. The
// comparison takes the same time wherever the hashes differ. It is false
// for an empty or malformed hash, an empty secret, and a secret longer than
// MaxLength (which Validate never accepted, and which is not worth hashing).
func Equal(hash []byte, presented string) bool {
	if len(hash) != sha256.Size || presented == "" || len(presented) > MaxLength {
		return false
	}
	sum := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(hash, sum[:]) == 1
}
