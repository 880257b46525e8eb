package redirecturi

import "testing"

func TestMatch(t *testing.T) {
	registered := []string{
		"https://app.example.com/callback",
		"https://app.example.com/cb?tenant=a",
		"http://127.0.0.1/native",
		"http://[::1]:8080/v6",
		"http://localhost:4180/oauth2/callback",
		"com.example.app:/oauth2redirect",
		"https://app.example.com/registered#by-mistake",
	}
	tests := []struct {
		requested string
		want      bool
	}{
		{"https://app.example.com/callback", true},
		{"https://app.example.com/cb?tenant=a", true},
		{"http://localhost:4180/oauth2/callback", true},
		{"com.example.app:/oauth2redirect", true},
		// RFC 8252 §7.3: loopback IP literals may vary the port only.
		{"http://127.0.0.1:51234/native", true},
		{"http://127.0.0.1/native", true},
		{"http://[::1]:1/v6", true},
		{"http://[::1]/v6", true},
		{"http://127.0.0.1:51234/native/", false},
		{"http://127.0.0.1:51234/other", false},
		{"http://127.0.0.1:51234/native?x=1", false},
		{"http://127.0.0.1:51234/native#f", false},
		{"http://user@127.0.0.1:51234/native", false},
		{"http://127.0.0.2:51234/native", false},
		{"https://127.0.0.1:51234/native", false},
		{"http://127.0.0.1:port/native", false},
		{"http://127.0.0.1:51234/%6eative", false},
		// localhost is a name, not a loopback literal: exact only.
		{"http://localhost:4181/oauth2/callback", false},
		// Everything else is exact.
		{"https://app.example.com/callback/", false},
		{"https://app.example.com/callback/../callback", false},
		{"https://app.example.com/callbackx", false},
		{"https://app.example.com/call", false},
		{"https://app.example.com.evil.test/callback", false},
		{"https://evil.test/https://app.example.com/callback", false},
		{"https://app.example.com@evil.test/callback", false},
		{"https://evil.test@app.example.com/callback", false},
		{"https://app.example.com/callback#frag", false},
		{"https://app.example.com:443/callback", false},
		{"https://app.example.com:8443/callback", false},
		{"https://APP.example.com/callback", false},
		{"HTTPS://app.example.com/callback", false},
		{"https://app.example.com/Callback", false},
		{"http://app.example.com/callback", false},
		{"https://app.example.com/cb?tenant=b", false},
		{"https://app.example.com/cb?tenant=a&x=1", false},
		{"https://app.example.com/callback ", false},
		{"https://app.example.com/registered#by-mistake", false},
		{"", false},
	}
	for _, tt := range tests {
		if _, got := Match(registered, tt.requested); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.requested, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		uri  string
		kind Kind
		ok   bool
	}{
		{"https://app.example.com/callback", Web, true},
		{"https://app.example.com/cb?x=1", Web, true},
		{"http://localhost:8000/docs/oauth2-redirect.html", Web, true},
		{"http://127.0.0.1:4180/oauth2/callback", Web, true},
		{"http://[::1]/cb", Web, true},
		{"com.example.app:/oauth2redirect", Native, true},
		{"com.example.app:/oauth2redirect", Web, false},
		{"myapp:/cb", Native, false},
		{"http://app.example.com/callback", Web, false},
		{"https://app.example.com/callback#x", Web, false},
		{"https://user:pw@app.example.com/callback", Web, false},
		{"/callback", Web, false},
		{"https:///callback", Web, false},
		{"javascript:alert(1)", Native, false},
		{"data:text/html,x", Native, false},
		{"https://app.example.com/a b", Web, false},
		{"", Web, false},
	}
	for _, tt := range tests {
		err := Validate(tt.uri, tt.kind)
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%q, %v) = %v, want ok=%v", tt.uri, tt.kind, err, tt.ok)
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:1/native", "https://app.example.com/callback", "http://[::1]/v6"} {
		f.Add(s)
	}
	registered := []string{"https://app.example.com/callback", "http://127.0.0.1/native", "http://[::1]/v6"}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Match(registered, s)
		if !ok {
			return
		}
		if got != s {
			// Only a loopback URI may differ, and only in its port.
			u, lok := loopback(s)
			r, rok := loopback(got)
			if !lok || !rok || u.Hostname() != r.Hostname() || u.EscapedPath() != r.EscapedPath() || u.RawQuery != r.RawQuery {
				t.Fatalf("Match(%q) matched %q", s, got)
			}
		}
	})
}
