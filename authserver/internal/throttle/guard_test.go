package throttle

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/clientip"
	"github.com/fastsafe/fastsafe/authserver/internal/oautherr"
)

func request(remote string, xff ...string) *http.Request {
	r := httptest.NewRequest("POST", "/token", nil)
	r.RemoteAddr = remote
	for _, v := range xff {
		r.Header.Add("X-Forwarded-For", v)
	}
	return r
}

func newGuard(t *testing.T, c *clock, logs *bytes.Buffer, trusted ...string) *Guard {
	t.Helper()
	prefixes, err := clientip.ParseTrusted(trusted)
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{
		Account:   Policy{MaxFailures: 3, Lockout: time.Minute},
		Client:    Policy{MaxFailures: 5, Lockout: time.Minute},
		Address:   Policy{MaxFailures: 4, Lockout: 2 * time.Minute},
		Addresses: clientip.New(prefixes),
		Now:       c.Now,
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
	})
}

func wantThrottled(t *testing.T, err error, retry time.Duration) {
	t.Helper()
	var e *oautherr.Error
	if !errors.As(err, &e) || e.HTTPStatus() != http.StatusTooManyRequests {
		t.Fatalf("err = %v, want a 429", err)
	}
	if e.RetryAfter != retry {
		t.Errorf("RetryAfter = %s, want %s", e.RetryAfter, retry)
	}
}

func TestGuardAccountLockoutSurvivesAcrossAddresses(t *testing.T) {
	c := newClock()
	var logs bytes.Buffer
	g := newGuard(t, c, &logs)
	for i, addr := range []string{"192.0.2.1:1", "192.0.2.2:1", "[2001:db8:1::1]:1"} {
		if g.AccountLocked(context.Background(), "bob") {
			t.Fatalf("locked after %d failures", i)
		}
		g.LoginFailed(request(addr), "web", "bob")
	}
	if !g.AccountLocked(context.Background(), "bob") {
		t.Fatal("three failures from three addresses did not lock the account")
	}
	if g.AccountLocked(context.Background(), "alice") {
		t.Fatal("another account is locked")
	}
	// The account lockout is not an address or client lockout.
	if err := g.AllowClient(request("192.0.2.9:1"), "web"); err != nil {
		t.Fatalf("AllowClient = %v", err)
	}
	if !strings.Contains(logs.String(), "kind=account") || !strings.Contains(logs.String(), "user=bob") {
		t.Errorf("lockout not logged: %s", logs.String())
	}
	c.Advance(time.Minute)
	if g.AccountLocked(context.Background(), "bob") {
		t.Fatal("still locked after the lockout")
	}
}

func TestGuardLoginSucceededClearsTheAccountOnly(t *testing.T) {
	c := newClock()
	var logs bytes.Buffer
	g := newGuard(t, c, &logs)
	r := request("192.0.2.1:1")
	g.LoginFailed(r, "web", "bob")
	g.LoginFailed(r, "web", "bob")
	g.LoginSucceeded(context.Background(), "bob")
	g.LoginFailed(r, "web", "bob")
	g.LoginFailed(r, "web", "bob")
	if g.AccountLocked(context.Background(), "bob") {
		t.Fatal("failures before a success were kept")
	}
	// The address has failed four times, success or not.
	wantThrottled(t, g.AllowClient(r, "web"), 2*time.Minute)
}

func TestGuardAddressLockout(t *testing.T) {
	c := newClock()
	var logs bytes.Buffer
	g := newGuard(t, c, &logs)
	attacker := request("192.0.2.1:1")
	for i := range 4 {
		if err := g.AllowClient(attacker, "web"); err != nil {
			t.Fatalf("throttled after %d failures: %v", i, err)
		}
		// Credential stuffing: a new account each time.
		g.LoginFailed(attacker, "web", "user"+string(rune('a'+i)))
	}
	wantThrottled(t, g.AllowClient(attacker, "web"), 2*time.Minute)
	wantThrottled(t, g.AllowClient(attacker, "other"), 2*time.Minute)
	// Another address and the same client are fine.
	if err := g.AllowClient(request("192.0.2.2:1"), "web"); err != nil {
		t.Fatalf("another address: %v", err)
	}
	c.Advance(90 * time.Second)
	wantThrottled(t, g.AllowClient(attacker, "web"), 30*time.Second)
	c.Advance(30 * time.Second)
	if err := g.AllowClient(attacker, "web"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

func TestGuardInvalidNamesCountForAddressAndClient(t *testing.T) {
	c := newClock()
	var logs bytes.Buffer
	g := newGuard(t, c, &logs)
	r := request("192.0.2.1:1")
	for range 4 {
		g.LoginFailed(r, "web", "")
	}
	wantThrottled(t, g.AllowClient(r, "web"), 2*time.Minute)
	if g.AccountLocked(context.Background(), "") {
		t.Fatal("the empty name has a record")
	}
}

func TestGuardClientSecretGuessing(t *testing.T) {
	c := newClock()
	var logs bytes.Buffer
	g := newGuard(t, c, &logs)
	// Five guesses from five addresses: no address reaches its limit, the
	// client does.
	for i := range 5 {
		r := request("192.0.2." + string(rune('1'+i)) + ":1")
		if err := g.AllowClient(r, "svc"); err != nil {
			t.Fatalf("guess %d: %v", i, err)
		}
		g.ClientFailed(r, "svc")
	}
	wantThrottled(t, g.AllowClient(request("198.51.100.1:1"), "svc"), time.Minute)
	if err := g.AllowClient(request("198.51.100.1:1"), "web"); err != nil {
		t.Fatalf("another client: %v", err)
	}
	if !strings.Contains(logs.String(), "kind=client") || !strings.Contains(logs.String(), "client_id=svc") {
		t.Errorf("lockout not logged: %s", logs.String())
	}
}

func TestGuardSpoofedForwardedFor(t *testing.T) {
	c := newClock()
	var logs bytes.Buffer
	direct := newGuard(t, c, &logs)
	for i := range 4 {
		// A new X-Forwarded-For each time, straight from the attacker.
		direct.ClientFailed(request("192.0.2.1:1", "203.0.113."+string(rune('1'+i))), "c"+string(rune('a'+i)))
	}
	wantThrottled(t, direct.AllowClient(request("192.0.2.1:1", "203.0.113.99"), "x"), 2*time.Minute)

	proxied := newGuard(t, c, &logs, "10.0.0.0/8")
	for i := range 4 {
		// Through the proxy: the client's own entries, to the left of
		// the one the proxy appended, change nothing either.
		proxied.ClientFailed(request("10.0.0.2:1", "198.51.100."+string(rune('1'+i))+", 203.0.113.7"), "c"+string(rune('a'+i)))
	}
	wantThrottled(t, proxied.AllowClient(request("10.0.0.3:1", "203.0.113.7"), "x"), 2*time.Minute)
	// The proxy's other clients are not affected.
	if err := proxied.AllowClient(request("10.0.0.2:1", "203.0.113.8"), "x"); err != nil {
		t.Fatalf("another client behind the proxy: %v", err)
	}
}

func TestGuardIPv6By64(t *testing.T) {
	c := newClock()
	var logs bytes.Buffer
	g := newGuard(t, c, &logs)
	for i := range 4 {
		g.ClientFailed(request("[2001:db8:1:2::"+string(rune('1'+i))+"]:1"), "c"+string(rune('a'+i)))
	}
	wantThrottled(t, g.AllowClient(request("[2001:db8:1:2:ffff::1]:1"), "x"), 2*time.Minute)
	if err := g.AllowClient(request("[2001:db8:1:3::1]:1"), "x"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}

// fixedAddr is an Addresses that always answers the zero Addr.
type fixedAddr struct{}

func (fixedAddr) Addr(*http.Request) netip.Addr { return netip.Addr{} }

var _ Addresses = fixedAddr{}

func TestGuardUnknownAddress(t *testing.T) {
	c := newClock()
	g := New(Options{Address: Policy{MaxFailures: 1, Lockout: time.Minute}, Addresses: fixedAddr{}, Now: c.Now})
	r := request("@")
	g.ClientFailed(r, "x")
	wantThrottled(t, g.AllowClient(r, "y"), time.Minute)
}
