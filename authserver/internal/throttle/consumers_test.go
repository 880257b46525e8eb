package throttle_test

import (
	"github.com/fastsafe/fastsafe/authserver/internal/authorize"
	"github.com/fastsafe/fastsafe/authserver/internal/clientauth"
	"github.com/fastsafe/fastsafe/authserver/internal/login"
	"github.com/fastsafe/fastsafe/authserver/internal/throttle"
)

// The Guard is what the client authenticator, the credential check and
// the sign-in page declare they need. Checked here, beside the
// implementation, so that no consumer depends on this package.
var (
	_ clientauth.Throttle = (*throttle.Guard)(nil)
	_ login.Throttle      = (*throttle.Guard)(nil)
	_ authorize.Throttle  = (*throttle.Guard)(nil)
)
