package tokenstate

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/claims"
	"github.com/fastsafe/fastsafe/pkg/tokentest"
)

const (
	issuer       = "https://auth.example.com"
	refreshValue = "a-refresh-token-value-0123456789-abcdefghijkl"
)

var (
	now       = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	errDown   = errors.New("database is down")
	webClient = store.Client{ID: "web", SecretHash: []byte("x")}
)

// fakeStore knows one refresh token, of family "fam", and fails the
// calls named in broken.
type fakeStore struct {
	broken map[string]bool
	// revoked records what was revoked.
	revoked []string
	// keyRevoked: the signing key "test" was revoked.
	keyRevoked bool
}

func (f *fakeStore) fail(call string) error {
	if f.broken[call] {
		return fmt.Errorf("%s: %w", call, errDown)
	}
	return nil
}

func (f *fakeStore) GetRefreshToken(_ context.Context, id string) (store.RefreshToken, store.RefreshFamily, error) {
	if err := f.fail("GetRefreshToken"); err != nil {
		return store.RefreshToken{}, store.RefreshFamily{}, err
	}
	if id != store.RefreshTokenID(refreshValue) {
		return store.RefreshToken{}, store.RefreshFamily{}, store.ErrNotFound
	}
	return store.RefreshToken{ID: id, FamilyID: "fam", ClientID: "web", Subject: "bob", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		store.RefreshFamily{ID: "fam", ClientID: "web", Subject: "bob", CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}, nil
}

func (f *fakeStore) GetRefreshFamily(context.Context, string) (store.RefreshFamily, error) {
	if err := f.fail("GetRefreshFamily"); err != nil {
		return store.RefreshFamily{}, err
	}
	return store.RefreshFamily{ID: "fam", ClientID: "web", ExpiresAt: now.Add(24 * time.Hour)}, nil
}

func (f *fakeStore) AccessTokenRevoked(context.Context, string) (bool, error) {
	return false, f.fail("AccessTokenRevoked")
}

func (f *fakeStore) GetSigningKey(_ context.Context, id string) (store.SigningKey, error) {
	if err := f.fail("GetSigningKey"); err != nil {
		return store.SigningKey{}, err
	}
	if id != "test" {
		return store.SigningKey{}, store.ErrNotFound
	}
	k := store.SigningKey{ID: id, Algorithm: "EdDSA", CreatedAt: now.Add(-time.Hour), ActivatesAt: now.Add(-time.Hour)}
	if f.keyRevoked {
		k.RevokedAt = now.Add(-time.Minute)
	}
	return k, nil
}

func (f *fakeStore) RevokeRefreshFamily(_ context.Context, id string, _ time.Time) error {
	if err := f.fail("RevokeRefreshFamily"); err != nil {
		return err
	}
	f.revoked = append(f.revoked, "family "+id)
	return nil
}

func (f *fakeStore) RevokeAccessToken(_ context.Context, jti string, _ time.Time) error {
	if err := f.fail("RevokeAccessToken"); err != nil {
		return err
	}
	f.revoked = append(f.revoked, "access "+jti)
	return nil
}

var (
	_ Store   = (*fakeStore)(nil)
	_ Revoker = (*fakeStore)(nil)
)

// edKeys verifies with one Ed25519 key.
type edKeys struct{ pub ed25519.PublicKey }

func (k edKeys) Keyfunc(*jwt.Token) (any, error) { return k.pub, nil }

var _ Keys = edKeys{}

type webAuth struct{}

func (webAuth) Authenticate(context.Context, *http.Request, url.Values, bool) (store.Client, error) {
	return webClient, nil
}

var _ ClientAuthenticator = webAuth{}

func accessToken(key ed25519.PrivateKey) string {
	return tokentest.Sign(key, "test", claims.AccessToken{
		Issuer: issuer, Subject: "bob", Audience: jwt.ClaimStrings{"api"},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		ID: "jti-1", ClientID: "web", SessionID: "fam",
	})
}

func post(h http.Handler, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestRevocationNeverAFalseSuccess: a revocation the store cannot record
// is 503 temporarily_unavailable with Retry-After (RFC 7009 §2.2.1),
// never the 200 that would tell the client its token is dead.
func TestRevocationNeverAFalseSuccess(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	access := accessToken(key)
	tests := []struct {
		name        string
		token, hint string
		broken      string
		wantStatus  int
		wantRevoked string
	}{
		{"refresh token", refreshValue, "", "", 200, "family fam"},
		{"access token", access, "", "", 200, "access jti-1"},
		{"unknown token", "no-such-token", "", "", 200, ""},
		{"refresh token, revocation not stored", refreshValue, "", "RevokeRefreshFamily", 503, ""},
		{"access token, revocation not stored", access, "", "RevokeAccessToken", 503, ""},
		{"refresh token, look-up fails", refreshValue, "refresh_token", "GetRefreshToken", 503, ""},
		{"unknown token, look-up fails", "no-such-token", "", "GetRefreshToken", 503, ""},
		{"access token, revocation list unreadable", access, "", "AccessTokenRevoked", 503, ""},
		{"access token, grant unreadable", access, "", "GetRefreshFamily", 503, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{broken: map[string]bool{tt.broken: true}}
			var logs strings.Builder
			in := NewInspector(issuer, st, edKeys{pub}, func() time.Time { return now })
			h := Revocation(in, webAuth{}, st, func() time.Time { return now }, slog.New(slog.NewTextHandler(&logs, nil)), nil)
			w := post(h, url.Values{"token": {tt.token}, "token_type_hint": {tt.hint}})
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}
			if got := strings.Join(st.revoked, ","); got != tt.wantRevoked {
				t.Errorf("revoked %q, want %q", got, tt.wantRevoked)
			}
			if tt.wantStatus == 503 {
				var body map[string]string
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["error"] != "temporarily_unavailable" {
					t.Errorf("body = %s, want temporarily_unavailable", w.Body)
				}
				if w.Header().Get("Retry-After") == "" || w.Header().Get("Cache-Control") != "no-store" {
					t.Errorf("headers = %v", w.Header())
				}
				if strings.Contains(w.Body.String(), errDown.Error()) {
					t.Errorf("the internal cause reached the client: %s", w.Body)
				}
				if !strings.Contains(logs.String(), errDown.Error()) {
					t.Errorf("the cause was not logged: %s", logs.String())
				}
			}
			if strings.Contains(logs.String(), tt.token) {
				t.Errorf("the token was logged: %s", logs.String())
			}
		})
	}
}

// TestIntrospectionUnavailable: an introspection the store cannot answer
// is 503, never {"active":false} (which would make a valid token look
// revoked) nor {"active":true} (which would make a revoked one look
// valid).
func TestIntrospectionUnavailable(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	access := accessToken(key)
	for _, broken := range []string{"", "AccessTokenRevoked", "GetRefreshFamily", "GetSigningKey"} {
		t.Run("broken "+broken, func(t *testing.T) {
			st := &fakeStore{broken: map[string]bool{broken: true}}
			in := NewInspector(issuer, st, edKeys{pub}, func() time.Time { return now })
			w := post(Introspection(in, webAuth{}, slog.New(slog.DiscardHandler), nil), url.Values{"token": {access}})
			b, _ := io.ReadAll(w.Body)
			if broken == "" {
				if w.Code != 200 || !strings.Contains(string(b), `"active":true`) {
					t.Fatalf("%d %s, want an active token", w.Code, b)
				}
				return
			}
			if w.Code != 503 || strings.Contains(string(b), "active") {
				t.Fatalf("%d %s, want 503", w.Code, b)
			}
		})
	}
}

// TestIntrospectionOfARevokedKey: a token signed by a key that was revoked
// is inactive at once, in every process: the store says so before the
// keys of this process are reloaded.
func TestIntrospectionOfARevokedKey(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st := &fakeStore{keyRevoked: true}
	in := NewInspector(issuer, st, edKeys{pub}, func() time.Time { return now })
	w := post(Introspection(in, webAuth{}, slog.New(slog.DiscardHandler), nil), url.Values{"token": {accessToken(key)}})
	if b, _ := io.ReadAll(w.Body); w.Code != 200 || strings.TrimSpace(string(b)) != `{"active":false}` {
		t.Fatalf("%d %s, want exactly {\"active\":false}", w.Code, b)
	}
}
