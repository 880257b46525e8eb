package storetest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// base is the fixed time every test derives its times from. It has
// nanoseconds and a zone other than UTC, so that a backend must keep the
// instant exactly; tests compare times with time.Time.Equal.
var base = time.Date(2031, time.March, 4, 5, 6, 7, 123456789, time.FixedZone("UTC+5:30", 5*3600+30*60))

// at returns base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// errTest is returned by updaters that refuse an update.
var errTest = errors.New("storetest: update refused")

// Run runs the conformance suite. newStore must return a new, empty store
// for each call and arrange, with t.Cleanup, for it to be closed.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"CheckWrite", testCheckWrite},
		{"ClaimOnce", testClaimOnce},
		{"ClaimOnceConcurrent", testClaimOnceConcurrent},

		{"TimeRoundTrip", testTimeRoundTrip},
		{"InvalidInput", testInvalidInput},
		{"UpdaterPanics", testUpdaterPanics},

		{"UserRoundTrip", testUserRoundTrip},
		{"UserZeroValues", testUserZeroValues},
		{"UserNotFound", testUserNotFound},
		{"UserAlreadyExists", testUserAlreadyExists},
		{"ListUsers", testListUsers},
		{"UpdateUser", testUpdateUser},
		{"UpdateUserError", testUpdateUserError},
		{"UpdateUserKeepsKey", testUpdateUserKeepsKey},
		{"DeleteUser", testDeleteUser},

		{"ClientRoundTrip", testClientRoundTrip},
		{"PublicClient", testPublicClient},
		{"ClientNotFound", testClientNotFound},
		{"ClientAlreadyExists", testClientAlreadyExists},
		{"ListClients", testListClients},
		{"UpdateClient", testUpdateClient},
		{"UpdateClientError", testUpdateClientError},
		{"UpdateClientKeepsKey", testUpdateClientKeepsKey},
		{"DeleteClient", testDeleteClient},

		{"SubjectNamespace", testSubjectNamespace},
		{"SubjectFreedByDelete", testSubjectFreedByDelete},

		{"RefreshTokenRoundTrip", testRefreshTokenRoundTrip},
		{"RefreshTokenAlreadyExists", testRefreshTokenAlreadyExists},
		{"RefreshNotFound", testRefreshNotFound},
		{"RotateRefreshToken", testRotateRefreshToken},
		{"RotateReusedToken", testRotateReusedToken},
		{"RotateInRevokedFamily", testRotateInRevokedFamily},
		{"RotateDuplicateNext", testRotateDuplicateNext},
		{"RevokeRefreshFamily", testRevokeRefreshFamily},
		{"RevokeUserRefreshFamilies", testRevokeUserRefreshFamilies},
		{"DeleteUserRevokesFamilies", testDeleteUserRevokesFamilies},
		{"DeleteClientRevokesFamilies", testDeleteClientRevokesFamilies},
		{"RefreshTokenFilledFromFamily", testRefreshTokenFilledFromFamily},
		{"RotateRetry", testRotateRetry},
		{"RotateRetryRefused", testRotateRetryRefused},
		{"Secret", testSecret},
		{"FailureRecords", testFailureRecords},

		{"RevokeAccessToken", testRevokeAccessToken},

		{"SigningKeys", testSigningKeys},
		{"SigningKeyAlreadyExists", testSigningKeyAlreadyExists},
		{"DeleteSigningKey", testDeleteSigningKey},
		{"RevokeSigningKey", testRevokeSigningKey},

		{"DeleteExpired", testDeleteExpired},
		{"DeleteExpiredMany", testDeleteExpiredMany},
		{"DeleteRevokedAndRotated", testDeleteRevokedAndRotated},

		{"SignInClient", testSignInClient},
		{"RefreshFamilyWithoutToken", testRefreshFamilyWithoutToken},
		{"AuthCodeRoundTrip", testAuthCodeRoundTrip},
		{"AuthCodeSecondUse", testAuthCodeSecondUse},
		{"AuthCodeConcurrentUse", testAuthCodeConcurrentUse},
		{"Sessions", testSessions},
		{"Consents", testConsents},
		{"DeleteConsentRevokesFamilies", testDeleteConsentRevokesFamilies},
		{"DeleteUserEndsSessionsAndConsents", testDeleteUserEndsSessionsAndConsents},
		{"DeleteClientRemovesCodesAndConsents", testDeleteClientRemovesCodesAndConsents},
		{"DeleteExpiredSignIn", testDeleteExpiredSignIn},
		{"SignInInvalidInput", testSignInInvalidInput},

		{"RegisteredClient", testRegisteredClient},
		{"DeleteUnusedClients", testDeleteUnusedClients},
		{"RegistrationTokens", testRegistrationTokens},
		{"RegistrationTokenLastUse", testRegistrationTokenLastUse},
		{"AssertionClient", testAssertionClient},
		{"TrustedIssuers", testTrustedIssuers},
		{"UseOnce", testUseOnce},
		{"UseOnceConcurrent", testUseOnceConcurrent},
		{"DeleteExpiredUsedOnce", testDeleteExpiredUsedOnce},
		{"RefreshTokenKeyBinding", testRefreshTokenKeyBinding},

		{"ConcurrentRotation", testConcurrentRotation},
		{"ConcurrentRetries", testConcurrentRetries},
		{"ConcurrentFailures", func(t *testing.T, s store.Store) { raceFailures(t, s, s) }},
		{"ConcurrentSecrets", func(t *testing.T, s store.Store) { raceSecrets(t, s, s) }},
		{"ConcurrentUpdateUser", testConcurrentUpdateUser},
		{"ConcurrentUpdateClient", testConcurrentUpdateClient},
		{"ConcurrentSubjectClaims", testConcurrentSubjectClaims},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// testCheckWrite: a store that takes writes passes its write check, as
// often as asked, and its upkeep does no harm.
func testCheckWrite(t *testing.T, s store.Store) {
	for i := range 3 {
		if err := s.CheckWrite(t.Context(), at(time.Duration(i)*time.Second)); err != nil {
			t.Fatalf("CheckWrite %d: %v", i, err)
		}
	}
	must(t, "CreateUser", s.CreateUser(ctx(t), sampleUser("alice")))
	if err := s.Checkpoint(t.Context()); err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	if _, err := s.GetUser(ctx(t), "alice"); err != nil {
		t.Fatalf("GetUser after Checkpoint: %v", err)
	}
	if err := s.CheckWrite(t.Context(), time.Time{}); err == nil {
		t.Fatal("CheckWrite at the zero time succeeded")
	}
}

// wantErr fails t unless err matches target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// must fails t on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// The normalisers put values in the form a backend returns: times in UTC
// without monotonic reading, empty lists and byte slices as nil. Backends
// may return either form for empty lists; the suite compares after
// normalising both sides.

func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func normList(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}

func normBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func normUser(u store.User) store.User {
	u.PasswordHash = normBytes(u.PasswordHash)
	u.Scopes = normList(u.Scopes)
	u.CreatedAt, u.UpdatedAt = normTime(u.CreatedAt), normTime(u.UpdatedAt)
	return u
}

func normClient(c store.Client) store.Client {
	c.SecretHash = normBytes(c.SecretHash)
	c.Grants, c.Scopes, c.Audience = normList(c.Grants), normList(c.Scopes), normList(c.Audience)
	c.RedirectURIs, c.PostLogoutRedirectURIs = normList(c.RedirectURIs), normList(c.PostLogoutRedirectURIs)
	c.RegistrationTokenHash, c.FirstUsedAt = normBytes(c.RegistrationTokenHash), normTime(c.FirstUsedAt)
	c.ExchangeAudiences = normList(c.ExchangeAudiences)
	c.CreatedAt, c.UpdatedAt = normTime(c.CreatedAt), normTime(c.UpdatedAt)
	return c
}

func normFamily(f store.RefreshFamily) store.RefreshFamily {
	f.CreatedAt, f.ExpiresAt, f.RevokedAt = normTime(f.CreatedAt), normTime(f.ExpiresAt), normTime(f.RevokedAt)
	return f
}

func normToken(r store.RefreshToken) store.RefreshToken {
	r.Scopes, r.Audience = normList(r.Scopes), normList(r.Audience)
	r.CreatedAt, r.ExpiresAt, r.UsedAt = normTime(r.CreatedAt), normTime(r.ExpiresAt), normTime(r.UsedAt)
	return r
}

func normCode(c store.AuthCode) store.AuthCode {
	c.Scopes, c.Audience = normList(c.Scopes), normList(c.Audience)
	c.AuthTime, c.CreatedAt, c.ExpiresAt, c.UsedAt = normTime(c.AuthTime), normTime(c.CreatedAt), normTime(c.ExpiresAt), normTime(c.UsedAt)
	return c
}

func normSession(s store.Session) store.Session {
	s.AuthTime, s.CreatedAt, s.ExpiresAt = normTime(s.AuthTime), normTime(s.CreatedAt), normTime(s.ExpiresAt)
	return s
}

func normConsent(c store.Consent) store.Consent {
	c.Scopes = normList(c.Scopes)
	c.CreatedAt, c.UpdatedAt = normTime(c.CreatedAt), normTime(c.UpdatedAt)
	return c
}

func normKey(k store.SigningKey) store.SigningKey {
	k.PrivateKey = normBytes(k.PrivateKey)
	k.CreatedAt, k.ActivatesAt, k.RevokedAt = normTime(k.CreatedAt), normTime(k.ActivatesAt), normTime(k.RevokedAt)
	return k
}

// equal fails t unless got equals want after normalising both with norm.
func equal[T any](t *testing.T, what string, got, want T, norm func(T) T) {
	t.Helper()
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, g, w)
	}
}

// sameTime fails t unless got and want are the same instant (both zero
// counts as the same).
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// ctx is a shorthand for the test's context.
func ctx(t *testing.T) context.Context { return t.Context() }

// race runs f(0) to f(n-1), each in its own goroutine, releases them all at
// once and waits for them to return. A t.Fatal in f ends only f's
// goroutine; the test fails, and race still returns.
func race(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// oneWinner fails t unless exactly one of errs, the results of concurrent
// rotations of one token, is nil and every other is store.ErrTokenReused.
// It returns the index of the one that succeeded.
func oneWinner(t *testing.T, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("rotations %d and %d both succeeded", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrTokenReused):
			t.Fatalf("rotation %d: got %v, want success or %v", i, err, store.ErrTokenReused)
		}
	}
	if winner < 0 {
		t.Fatal("no rotation succeeded")
	}
	return winner
}

// getUser returns the stored user name, failing t if it cannot be read.
func getUser(t *testing.T, s store.Store, name string) store.User {
	t.Helper()
	u, err := s.GetUser(ctx(t), name)
	must(t, "GetUser", err)
	return u
}

// getClient returns the stored client id, failing t if it cannot be read.
func getClient(t *testing.T, s store.Store, id string) store.Client {
	t.Helper()
	c, err := s.GetClient(ctx(t), id)
	must(t, "GetClient", err)
	return c
}

// wantUser fails t unless the stored user want.Username is want.
func wantUser(t *testing.T, s store.Store, what string, want store.User) {
	t.Helper()
	equal(t, what, getUser(t, s, want.Username), want, normUser)
}

// wantClient fails t unless the stored client want.ID is want.
func wantClient(t *testing.T, s store.Store, what string, want store.Client) {
	t.Helper()
	equal(t, what, getClient(t, s, want.ID), want, normClient)
}
