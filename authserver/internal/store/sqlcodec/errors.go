package sqlcodec

import (
	"errors"
	"fmt"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// Errors gives a backend's errors their context and maps the driver's to
// the store's.
type Errors struct {
	// Backend prefixes every message, as in "sqlite: get user: ...".
	Backend string
	// NoRows is the driver's error for a query that returned no row; it
	// becomes store.ErrNotFound.
	NoRows error
	// IsUnique reports whether an error is a unique or primary key
	// violation; it becomes store.ErrAlreadyExists.
	IsUnique func(error) bool
}

// Wrap gives err the operation op as context, mapping NoRows to
// store.ErrNotFound and unique violations to store.ErrAlreadyExists. Errors
// that already are one of the store's errors are kept. Wrap(op, nil) is nil.
func (e Errors) Wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, e.NoRows):
		return fmt.Errorf("%s: %s: %w", e.Backend, op, store.ErrNotFound)
	case e.IsUnique(err):
		return fmt.Errorf("%s: %s: %w", e.Backend, op, store.ErrAlreadyExists)
	}
	return e.Prefix(op, err)
}

// Prefix gives err, typically one of the checks', the backend and the
// operation op as context without mapping it. Prefix(op, nil) is nil.
func (e Errors) Prefix(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %s: %w", e.Backend, op, err)
}
