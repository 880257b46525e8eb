package server_test

import (
	"context"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/server"
	"github.com/fastsafe/fastsafe/authserver/internal/store/pgtest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

// BenchmarkLimitsOnPostgres measures what keeping the brute-force counts
// in PostgreSQL, shared by the replicas, costs a token request: a
// client_credentials grant (the cheapest request: one read of the client,
// and no read of counts for a client and an address that never failed)
// and a password grant (bcrypt, one read of the account's counts, one
// delete of them). "limits off" reads no count at all, as the counts in
// memory of a single server cost next to nothing. "every check reads" is
// the shared counts without the replica's view of the failing keys.
func BenchmarkLimitsOnPostgres(b *testing.B) {
	for _, limits := range []string{"limits in the store", "every check reads", "limits off"} {
		adjust := func(c *config.Config) { c.SigningAlg = "EdDSA" }
		if limits == "limits off" {
			adjust = func(c *config.Config) {
				c.SigningAlg = "EdDSA"
				c.LoginMaxFailures, c.ClientMaxFailures, c.AddressMaxFailures = 0, 0, 0
			}
		}
		st, err := sqlstore.OpenPostgres(b.Context(), pgtest.DSN(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		s := benchServerOn(b, st, adjust)
		if limits != "every check reads" {
			serveInBackground(b, s)
		}
		h := s.Handler()
		for grant, form := range map[string]url.Values{
			"client_credentials": {"grant_type": {"client_credentials"}, "scope": {"search"}},
			"password":           {"grant_type": {"password"}, "username": {"tester"}, "password": {userPassword}, "scope": {"search"}},
		} {
			b.Run(grant+"/"+limits, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					postToken(b, h, form)
				}
			})
		}
	}
}

// serveInBackground runs s's background work (and a listener nobody
// uses) until the benchmark ends: with counts shared by replicas, the
// view of the keys failing elsewhere.
func serveInBackground(b testing.TB, s *server.Server) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	b.Cleanup(func() {
		cancel()
		<-done
	})
	// The first list of failing keys comes at once; give it a moment.
	time.Sleep(200 * time.Millisecond)
}
