package userinfo

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/tokenstate"
	"github.com/fastsafe/fastsafe/pkg/claims"
)

// tokens knows the states of a few tokens by value.
type tokens map[string]tokenstate.State

var errStore = errors.New("store down")

func (t tokens) Inspect(_ context.Context, token, hint string) (tokenstate.State, error) {
	if token == "store-down" {
		return tokenstate.State{}, errStore
	}
	if hint != "access_token" {
		return tokenstate.State{}, errors.New("hint " + hint)
	}
	return t[token], nil
}

type users map[string]store.User

func (u users) GetUser(_ context.Context, name string) (store.User, error) {
	if usr, ok := u[name]; ok {
		return usr, nil
	}
	return store.User{}, store.ErrNotFound
}

func access(sub, scope string, active bool) tokenstate.State {
	return tokenstate.State{Kind: tokenstate.Access, Active: active, Access: &claims.AccessToken{Subject: sub, Scope: scope}}
}

func TestUserinfo(t *testing.T) {
	h := New(tokens{
		"full":     access("alice", "openid profile email search", true),
		"openid":   access("alice", "openid", true),
		"no-oidc":  access("alice", "search", true),
		"inactive": access("alice", "openid profile", false),
		"refresh":  {Kind: tokenstate.Refresh, Active: true},
		"gone":     access("ghost", "openid", true),
		"off":      access("off", "openid", true),
		"service":  access("svc", "openid", true),
	}, users{
		"alice": {Username: "alice", FullName: "Alice Liddell", Email: "alice@example.com"},
		"off":   {Username: "off", Disabled: true},
	}, slog.New(slog.DiscardHandler))
	tests := []struct {
		name      string
		method    string
		auth      string
		status    int
		body      string // exact JSON, or the error code
		challenge string // substring of WWW-Authenticate
	}{
		{"every claim", "GET", "Bearer full", 200, `{"sub":"alice","name":"Alice Liddell","preferred_username":"alice","email":"alice@example.com"}`, ""},
		{"openid alone: the subject only", "GET", "Bearer openid", 200, `{"sub":"alice"}`, ""},
		{"POST too", "POST", "Bearer openid", 200, `{"sub":"alice"}`, ""},
		{"no token", "GET", "", 401, "unauthorized", `Bearer realm="userinfo"`},
		{"malformed header", "GET", "Bearer a b", 400, "invalid_request", `error="invalid_request"`},
		{"unknown token", "GET", "Bearer forged", 401, "invalid_token", `error="invalid_token"`},
		{"inactive token", "GET", "Bearer inactive", 401, "invalid_token", `error="invalid_token"`},
		{"a refresh token", "GET", "Bearer refresh", 401, "invalid_token", `error="invalid_token"`},
		{"no openid scope", "GET", "Bearer no-oidc", 403, "insufficient_scope", `scope="openid"`},
		{"user deleted", "GET", "Bearer gone", 401, "invalid_token", `error="invalid_token"`},
		{"user disabled", "GET", "Bearer off", 401, "invalid_token", `error="invalid_token"`},
		{"a client's token", "GET", "Bearer service", 401, "invalid_token", `error="invalid_token"`},
		{"store down", "GET", "Bearer store-down", 503, "temporarily_unavailable", ""},
		{"wrong method", "DELETE", "Bearer full", 405, "method_not_allowed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/userinfo", nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			body := strings.TrimSpace(w.Body.String())
			if tt.status == 200 {
				if body != tt.body || w.Header().Get("Cache-Control") != "no-store" {
					t.Errorf("body %s (Cache-Control %q), want %s", body, w.Header().Get("Cache-Control"), tt.body)
				}
				return
			}
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error != tt.body {
				t.Errorf("error %q (%v), want %q", e.Error, err, tt.body)
			}
			if !strings.Contains(w.Header().Get("WWW-Authenticate"), tt.challenge) {
				t.Errorf("WWW-Authenticate %q lacks %q", w.Header().Get("WWW-Authenticate"), tt.challenge)
			}
		})
	}
}

var _ http.Handler = (*Handler)(nil)
