package clientip

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestParseTrusted(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means refused
	}{
		{"10.0.0.7", "10.0.0.7/32"},
		{"10.0.0.0/8", "10.0.0.0/8"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"::1", "::1/128"},
		{"fd00::/8", "fd00::/8"},
		{"::ffff:10.0.0.7", "10.0.0.7/32"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"", ""},
		{"localhost", ""},
		{"10.0.0.0/33", ""},
		{"fe80::1%eth0", ""},
		{"10.0.0.7:80", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTrusted([]string{tt.in})
			if tt.want == "" {
				if err == nil {
					t.Fatalf("ParseTrusted(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got[0].String() != tt.want {
				t.Errorf("ParseTrusted(%q) = %v, want %s", tt.in, got[0], tt.want)
			}
		})
	}
}

func TestAddr(t *testing.T) {
	trusted, err := ParseTrusted([]string{"10.0.0.0/8", "2001:db8:ffff::/48"})
	if err != nil {
		t.Fatal(err)
	}
	res := New(trusted)
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string // "" means the zero Addr
	}{
		{"direct", "192.0.2.1:4711", nil, "192.0.2.1"},
		{"direct ignores a spoofed header", "192.0.2.1:4711", []string{"203.0.113.9"}, "192.0.2.1"},
		{"untrusted peer with a trusted-looking header", "192.0.2.1:4711", []string{"10.0.0.1"}, "192.0.2.1"},
		{"proxy without header", "10.0.0.2:4711", nil, "10.0.0.2"},
		{"through a proxy", "10.0.0.2:4711", []string{"203.0.113.9"}, "203.0.113.9"},
		{"client-sent entries to the left are ignored", "10.0.0.2:4711", []string{"198.51.100.66, 203.0.113.9"}, "203.0.113.9"},
		{"two proxies", "10.0.0.2:4711", []string{"203.0.113.9, 10.9.9.9"}, "203.0.113.9"},
		{"several headers", "10.0.0.2:4711", []string{"198.51.100.66", "203.0.113.9,10.9.9.9"}, "203.0.113.9"},
		{"only proxies", "10.0.0.2:4711", []string{"10.0.0.5, 10.0.0.4"}, "10.0.0.5"},
		{"garbage from the client side is never reached", "10.0.0.2:4711", []string{"garbage, 203.0.113.9"}, "203.0.113.9"},
		{"garbage written by the proxy", "10.0.0.2:4711", []string{"203.0.113.9, garbage"}, "10.0.0.2"},
		{"entry with a port", "10.0.0.2:4711", []string{"203.0.113.9:5555"}, "203.0.113.9"},
		{"IPv6 entry with a port", "10.0.0.2:4711", []string{"[2001:db8::7]:5555"}, "2001:db8::7"},
		{"IPv6 proxy", "[2001:db8:ffff::1]:4711", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv4-mapped peer", "[::ffff:192.0.2.1]:4711", nil, "192.0.2.1"},
		{"IPv4-mapped trusted peer", "[::ffff:10.0.0.2]:4711", []string{"203.0.113.9"}, "203.0.113.9"},
		{"unix socket", "@", nil, ""},
		{"empty", "", []string{"203.0.113.9"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/token", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got := res.Addr(r)
			if tt.want == "" {
				if got.IsValid() {
					t.Fatalf("Addr = %v, want none", got)
				}
				return
			}
			if got != netip.MustParseAddr(tt.want) {
				t.Errorf("Addr = %v, want %s", got, tt.want)
			}
		})
	}
}

func TestAddrWithoutTrustedProxies(t *testing.T) {
	res := New(nil)
	r := httptest.NewRequest("POST", "/token", nil)
	r.RemoteAddr = "127.0.0.1:4711"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	if got := res.Addr(r); got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("Addr = %v, want the peer", got)
	}
}

func TestAddrBoundsTheHopsItReads(t *testing.T) {
	res := New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	r := httptest.NewRequest("POST", "/token", nil)
	r.RemoteAddr = "10.0.0.2:4711"
	r.Header.Set("X-Forwarded-For", "203.0.113.9, "+strings.Repeat("10.0.0.1, ", 1000)+"10.0.0.1")
	// Past maxHops trusted entries the resolver stops at the last trusted
	// one it read rather than walking the whole header.
	if got := res.Addr(r); got != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("Addr = %v, want 10.0.0.1", got)
	}
}
