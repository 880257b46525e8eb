package idtoken

import (
	"encoding/json"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// The example of OpenID Connect Core §A.3 is the hash of an access token
// in an RS256 ID token; the others are computed independently.
func TestAccessTokenHash(t *testing.T) {
	tests := []struct{ alg, token, want string }{
		{"RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "77QmUPtjPfzWtF2AnpK9RQ"},
		{"ES256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "77QmUPtjPfzWtF2AnpK9RQ"},
		{"EdDSA", "abc", "3a81oZNherrMQXNJriBBMRLm-k6JqX6iCp7u5ktV05o"},
	}
	for _, tt := range tests {
		if got := AccessTokenHash(tt.alg, tt.token); got != tt.want {
			t.Errorf("AccessTokenHash(%s, %q) = %q, want %q", tt.alg, tt.token, got, tt.want)
		}
	}
}

func TestProfileOf(t *testing.T) {
	u := store.User{Username: "alice", FullName: "Alice Liddell", Email: "alice@example.com"}
	tests := []struct {
		scopes []string
		want   string
	}{
		{[]string{"openid"}, `{}`},
		{[]string{"openid", "profile"}, `{"name":"Alice Liddell","preferred_username":"alice"}`},
		{[]string{"openid", "email"}, `{"email":"alice@example.com"}`},
		{[]string{"openid", "profile", "email"}, `{"name":"Alice Liddell","preferred_username":"alice","email":"alice@example.com"}`},
	}
	for _, tt := range tests {
		b, _ := json.Marshal(ProfileOf(u, tt.scopes))
		if string(b) != tt.want {
			t.Errorf("%v: %s, want %s", tt.scopes, b, tt.want)
		}
	}
}
