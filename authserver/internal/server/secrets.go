package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/token"
)

// successorKey returns the secret successor refresh tokens are derived
// with, generating it the first time any replica starts on the database:
// every replica derives the same successor, so that a client retrying a
// rotation at another replica gets the same refresh token.
func successorKey(ctx context.Context, st store.Store, now time.Time) ([]byte, error) {
	key, err := st.Secret(ctx, token.SuccessorKeyName, []byte(rand.Text()+rand.Text()))
	if err != nil {
		return nil, fmt.Errorf("refresh token secret: %w", err)
	}
	return key, nil
}
