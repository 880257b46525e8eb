package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
)

// startPair runs two replicas on one new PostgreSQL database, with limits.
func startPair(t *testing.T, limits func(*config.Config)) []*replica {
	t.Helper()
	dsn := seededDatabase(t)
	return []*replica{startReplica(t, "a", dsn, limits), startReplica(t, "b", dsn, limits)}
}

// login is a password grant for alice with password.
func (r *replica) login(password string) tokenResponse {
	r.t.Helper()
	tr, err := r.token(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {password}})
	if err != nil {
		r.t.Fatal(err)
	}
	return tr
}

// TestReplicasShareTheAccountLimit: two replicas on one PostgreSQL
// database allow what one allows. Failed logins to one account, sent
// alternately to either replica, lock it after as many failures as one
// replica takes: even the right password then fails, at both.
func TestReplicasShareTheAccountLimit(t *testing.T) {
	const limit = 4
	replicas := startPair(t, func(c *config.Config) {
		c.LoginMaxFailures, c.ClientMaxFailures, c.AddressMaxFailures = limit, 0, 0
	})
	for i := range limit - 1 {
		wantError(t, "wrong password", replicas[i%2].login("wrong password"), http.StatusBadRequest, "invalid_grant")
	}
	// Below the limit, the right password works.
	wantOK(t, "the right password below the limit", replicas[1].login(replicaPassword))
	for i := range limit {
		wantError(t, "wrong password", replicas[i%2].login("wrong password"), http.StatusBadRequest, "invalid_grant")
	}
	for _, r := range replicas {
		wantError(t, "the right password at replica "+r.name+" once the account is locked", r.login(replicaPassword),
			http.StatusBadRequest, "invalid_grant")
	}
	wantOK(t, "another account", replicas[0].password("bob"))
}

// TestReplicasShareTheClientLimit: failed authentications of one client,
// sent alternately to either replica, lock it (429, even with the right
// secret, at both) after as many failures as one replica takes.
func TestReplicasShareTheClientLimit(t *testing.T) {
	const limit = 6
	replicas := startPair(t, func(c *config.Config) {
		c.LoginMaxFailures, c.ClientMaxFailures, c.AddressMaxFailures = 0, limit, 0
	})
	for i := range limit {
		tr, err := replicas[i%2].tokenAs("a wrong secret, long enough to be one",
			url.Values{"grant_type": {"password"}, "username": {"bob"}, "password": {replicaPassword}})
		if err != nil {
			t.Fatal(err)
		}
		wantError(t, "wrong client secret", tr, http.StatusUnauthorized, "invalid_client")
	}
	for _, r := range replicas {
		tr := r.password("bob")
		wantError(t, "the right secret at replica "+r.name+" once the client is locked", tr, http.StatusTooManyRequests, "temporarily_unavailable")
		if tr.retryAfter == "" {
			t.Errorf("429 at replica %s without Retry-After", r.name)
		}
	}
}
