package throttle_test

import (
	"github.com/fastsafe/fastsafe/authserver/internal/clientauth"
	"github.com/fastsafe/fastsafe/authserver/internal/throttle"
	"github.com/fastsafe/fastsafe/authserver/internal/token"
)

// The Guard is what the client authenticator and the token endpoint
// declare they need. Checked here, beside the implementation, so that
// neither consumer depends on this package.
var (
	_ clientauth.Throttle = (*throttle.Guard)(nil)
	_ token.LoginThrottle = (*throttle.Guard)(nil)
)
