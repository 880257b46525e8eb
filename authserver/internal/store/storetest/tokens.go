package storetest

import (
	"testing"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

func revoked(t *testing.T, s store.Store, jti string) bool {
	t.Helper()
	r, err := s.AccessTokenRevoked(ctx(t), jti)
	must(t, "AccessTokenRevoked "+jti, err)
	return r
}

func testRevokeAccessToken(t *testing.T, s store.Store) {
	if revoked(t, s, "jti-1") {
		t.Fatal("unknown token reported revoked")
	}
	must(t, "RevokeAccessToken", s.RevokeAccessToken(ctx(t), "jti-1", at(time.Hour)))
	if !revoked(t, s, "jti-1") {
		t.Fatal("revoked token not reported revoked")
	}
	must(t, "RevokeAccessToken again", s.RevokeAccessToken(ctx(t), "jti-1", at(time.Hour)))
	must(t, "RevokeAccessToken again with an earlier expiry", s.RevokeAccessToken(ctx(t), "jti-1", at(time.Minute)))
	if !revoked(t, s, "jti-1") {
		t.Fatal("token not reported revoked after revoking it again")
	}
	if revoked(t, s, "jti-2") {
		t.Fatal("another token reported revoked")
	}
	// The record lives until the latest expiry it was given.
	n, err := s.DeleteExpired(ctx(t), at(30*time.Minute))
	must(t, "DeleteExpired", err)
	if n != 0 || !revoked(t, s, "jti-1") {
		t.Fatalf("DeleteExpired before the token's expiry removed %d records", n)
	}
}
