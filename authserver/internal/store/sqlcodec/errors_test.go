package sqlcodec

import (
	"errors"
	"fmt"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

var (
	errNoRows = errors.New("driver: no rows")
	errUnique = errors.New("driver: unique violation")
	errOther  = errors.New("driver: disk full")
)

func TestErrors(t *testing.T) {
	e := Errors{Backend: "db", NoRows: errNoRows, IsUnique: func(err error) bool { return errors.Is(err, errUnique) }}
	tests := []struct {
		name     string
		err      error
		wantIs   error  // nil for a nil result
		wantText string // the message
	}{
		{"nil", nil, nil, ""},
		{"no rows", fmt.Errorf("scan: %w", errNoRows), store.ErrNotFound, "db: get thing: store: not found"},
		{"unique violation", errUnique, store.ErrAlreadyExists, "db: get thing: store: already exists"},
		{"store error kept", store.ErrTokenReused, store.ErrTokenReused, "db: get thing: store: refresh token reused"},
		{"store not found kept", store.ErrNotFound, store.ErrNotFound, "db: get thing: store: not found"},
		{"other", errOther, errOther, "db: get thing: driver: disk full"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := e.Wrap("get thing", tc.err)
			if tc.wantIs == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.wantIs) || err.Error() != tc.wantText {
				t.Fatalf("got %q, want %q wrapping %v", err, tc.wantText, tc.wantIs)
			}
		})
	}
}

func TestErrorsPrefix(t *testing.T) {
	e := Errors{Backend: "db", NoRows: errNoRows, IsUnique: func(error) bool { return true }}
	if err := e.Prefix("create user", nil); err != nil {
		t.Fatalf("Prefix of nil: %v", err)
	}
	// Prefix does not map: even an error IsUnique accepts is kept as it is.
	err := e.Prefix("create user", CheckUser(store.User{}))
	if err == nil || err.Error() != "db: create user: empty username" || errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("got %v", err)
	}
}
