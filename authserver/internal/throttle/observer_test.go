package throttle

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/clientip"
)

func TestThrottledNamesTheKind(t *testing.T) {
	c := newClock()
	var kinds []string
	g := New(Options{
		Account:   Policy{MaxFailures: 1, Lockout: time.Minute},
		Client:    Policy{MaxFailures: 2, Lockout: time.Minute},
		Address:   Policy{MaxFailures: 3, Lockout: time.Minute},
		Addresses: clientip.New(nil),
		Now:       c.Now,
		Logger:    slog.New(slog.DiscardHandler),
		Throttled: func(kind string) { kinds = append(kinds, kind) },
	})
	a := request("192.0.2.1:1")
	b := request("192.0.2.2:1")
	if g.AccountLocked(context.Background(), "bob") || g.AllowClient(a, "web") != nil {
		t.Fatal("locked before any failure")
	}
	g.LoginFailed(a, "web", "bob") // account locked
	if !g.AccountLocked(context.Background(), "bob") {
		t.Fatal("account not locked")
	}
	g.ClientFailed(b, "web") // client locked; address b has one failure
	if g.AllowClient(b, "web") == nil {
		t.Fatal("client not locked")
	}
	g.ClientFailed(a, "x1")
	g.ClientFailed(a, "x2") // address a: third failure, locked
	if g.AllowClient(a, "another") == nil {
		t.Fatal("address not locked")
	}
	if want := []string{"account", "client", "address"}; !slices.Equal(kinds, want) {
		t.Errorf("throttled kinds = %q, want %q", kinds, want)
	}
}
