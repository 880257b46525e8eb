package server_test

import (
	"net/url"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/store/pgtest"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

// BenchmarkLimitsOnPostgres measures what keeping the brute-force counts
// in PostgreSQL, shared by the replicas, costs a token request: a
// client_credentials grant (the cheapest request, one read of the client
// and, with the limits on, one read of the client's and the address's
// counts) and a password grant (bcrypt, one read of the account's counts,
// one delete of them). "limits off" reads no count at all, as the counts in
// memory of a single server cost next to nothing.
func BenchmarkLimitsOnPostgres(b *testing.B) {
	for _, limits := range []string{"limits in the store", "limits off"} {
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
		h := benchServerOn(b, st, adjust)
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
