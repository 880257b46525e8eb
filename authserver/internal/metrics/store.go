package metrics

import (
	"context"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// timedStore is a store.Store that times every call of the store it wraps.
// Methods it does not know pass through untimed.
type timedStore struct {
	store.Store
	m *Metrics
}

var _ store.Store = (*timedStore)(nil)

// Store returns st with the duration of every call recorded in
// fastsafe_auth_store_duration_seconds, labelled with the method's name.
func (m *Metrics) Store(st store.Store) store.Store {
	return &timedStore{Store: st, m: m}
}

// CreateUser implements store.Store.
func (s *timedStore) CreateUser(ctx context.Context, u store.User) error {
	defer s.m.observeStore("CreateUser", s.m.now())
	return s.Store.CreateUser(ctx, u)
}

// GetUser implements store.Store.
func (s *timedStore) GetUser(ctx context.Context, username string) (store.User, error) {
	defer s.m.observeStore("GetUser", s.m.now())
	return s.Store.GetUser(ctx, username)
}

// ListUsers implements store.Store.
func (s *timedStore) ListUsers(ctx context.Context) ([]store.User, error) {
	defer s.m.observeStore("ListUsers", s.m.now())
	return s.Store.ListUsers(ctx)
}

// UpdateUser implements store.Store.
func (s *timedStore) UpdateUser(ctx context.Context, username string, update func(store.User) (store.User, error)) error {
	defer s.m.observeStore("UpdateUser", s.m.now())
	return s.Store.UpdateUser(ctx, username, update)
}

// DeleteUser implements store.Store.
func (s *timedStore) DeleteUser(ctx context.Context, username string) error {
	defer s.m.observeStore("DeleteUser", s.m.now())
	return s.Store.DeleteUser(ctx, username)
}

// CreateClient implements store.Store.
func (s *timedStore) CreateClient(ctx context.Context, c store.Client) error {
	defer s.m.observeStore("CreateClient", s.m.now())
	return s.Store.CreateClient(ctx, c)
}

// GetClient implements store.Store.
func (s *timedStore) GetClient(ctx context.Context, id string) (store.Client, error) {
	defer s.m.observeStore("GetClient", s.m.now())
	return s.Store.GetClient(ctx, id)
}

// ListClients implements store.Store.
func (s *timedStore) ListClients(ctx context.Context) ([]store.Client, error) {
	defer s.m.observeStore("ListClients", s.m.now())
	return s.Store.ListClients(ctx)
}

// UpdateClient implements store.Store.
func (s *timedStore) UpdateClient(ctx context.Context, id string, update func(store.Client) (store.Client, error)) error {
	defer s.m.observeStore("UpdateClient", s.m.now())
	return s.Store.UpdateClient(ctx, id, update)
}

// DeleteClient implements store.Store.
func (s *timedStore) DeleteClient(ctx context.Context, id string) error {
	defer s.m.observeStore("DeleteClient", s.m.now())
	return s.Store.DeleteClient(ctx, id)
}

// CreateRefreshToken implements store.Store.
func (s *timedStore) CreateRefreshToken(ctx context.Context, f store.RefreshFamily, t store.RefreshToken) error {
	defer s.m.observeStore("CreateRefreshToken", s.m.now())
	return s.Store.CreateRefreshToken(ctx, f, t)
}

// GetRefreshToken implements store.Store.
func (s *timedStore) GetRefreshToken(ctx context.Context, id string) (store.RefreshToken, store.RefreshFamily, error) {
	defer s.m.observeStore("GetRefreshToken", s.m.now())
	return s.Store.GetRefreshToken(ctx, id)
}

// RotateRefreshToken implements store.Store.
func (s *timedStore) RotateRefreshToken(ctx context.Context, oldID string, now time.Time, next store.RefreshToken, grace time.Duration) (bool, error) {
	defer s.m.observeStore("RotateRefreshToken", s.m.now())
	return s.Store.RotateRefreshToken(ctx, oldID, now, next, grace)
}

// GetRefreshFamily implements store.Store.
func (s *timedStore) GetRefreshFamily(ctx context.Context, id string) (store.RefreshFamily, error) {
	defer s.m.observeStore("GetRefreshFamily", s.m.now())
	return s.Store.GetRefreshFamily(ctx, id)
}

// RevokeRefreshFamily implements store.Store.
func (s *timedStore) RevokeRefreshFamily(ctx context.Context, id string, now time.Time) error {
	defer s.m.observeStore("RevokeRefreshFamily", s.m.now())
	return s.Store.RevokeRefreshFamily(ctx, id, now)
}

// RevokeUserRefreshFamilies implements store.Store.
func (s *timedStore) RevokeUserRefreshFamilies(ctx context.Context, username string, now time.Time) error {
	defer s.m.observeStore("RevokeUserRefreshFamilies", s.m.now())
	return s.Store.RevokeUserRefreshFamilies(ctx, username, now)
}

// RevokeAccessToken implements store.Store.
func (s *timedStore) RevokeAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	defer s.m.observeStore("RevokeAccessToken", s.m.now())
	return s.Store.RevokeAccessToken(ctx, jti, expiresAt)
}

// AccessTokenRevoked implements store.Store.
func (s *timedStore) AccessTokenRevoked(ctx context.Context, jti string) (bool, error) {
	defer s.m.observeStore("AccessTokenRevoked", s.m.now())
	return s.Store.AccessTokenRevoked(ctx, jti)
}

// CreateSigningKey implements store.Store.
func (s *timedStore) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	defer s.m.observeStore("CreateSigningKey", s.m.now())
	return s.Store.CreateSigningKey(ctx, k)
}

// ListSigningKeys implements store.Store.
func (s *timedStore) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	defer s.m.observeStore("ListSigningKeys", s.m.now())
	return s.Store.ListSigningKeys(ctx)
}

// DeleteSigningKey implements store.Store.
func (s *timedStore) DeleteSigningKey(ctx context.Context, id string) error {
	defer s.m.observeStore("DeleteSigningKey", s.m.now())
	return s.Store.DeleteSigningKey(ctx, id)
}

// GetSigningKey implements store.Store.
func (s *timedStore) GetSigningKey(ctx context.Context, id string) (store.SigningKey, error) {
	defer s.m.observeStore("GetSigningKey", s.m.now())
	return s.Store.GetSigningKey(ctx, id)
}

// RevokeSigningKey implements store.Store.
func (s *timedStore) RevokeSigningKey(ctx context.Context, id string, now time.Time) error {
	defer s.m.observeStore("RevokeSigningKey", s.m.now())
	return s.Store.RevokeSigningKey(ctx, id, now)
}

// DeleteExpired implements store.Store.
func (s *timedStore) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	defer s.m.observeStore("DeleteExpired", s.m.now())
	return s.Store.DeleteExpired(ctx, now)
}

// GetFailures implements store.Store.
func (s *timedStore) GetFailures(ctx context.Context, keys []string) ([]store.FailureRecord, error) {
	defer s.m.observeStore("GetFailures", s.m.now())
	return s.Store.GetFailures(ctx, keys)
}

// UpdateFailures implements store.Store.
func (s *timedStore) UpdateFailures(ctx context.Context, key string, now time.Time, update func(store.FailureRecord) store.FailureRecord) (store.FailureRecord, error) {
	defer s.m.observeStore("UpdateFailures", s.m.now())
	return s.Store.UpdateFailures(ctx, key, now, update)
}

// DeleteFailures implements store.Store.
func (s *timedStore) DeleteFailures(ctx context.Context, key string) error {
	defer s.m.observeStore("DeleteFailures", s.m.now())
	return s.Store.DeleteFailures(ctx, key)
}

// ListFailures implements store.Store.
func (s *timedStore) ListFailures(ctx context.Context, since, now time.Time) ([]store.FailureRecord, error) {
	defer s.m.observeStore("ListFailures", s.m.now())
	return s.Store.ListFailures(ctx, since, now)
}

// CheckWrite implements store.Store.
func (s *timedStore) CheckWrite(ctx context.Context, now time.Time) error {
	defer s.m.observeStore("CheckWrite", s.m.now())
	return s.Store.CheckWrite(ctx, now)
}

// ClaimOnce implements store.Store.
func (s *timedStore) ClaimOnce(ctx context.Context, name string, at time.Time) (bool, error) {
	defer s.m.observeStore("ClaimOnce", s.m.now())
	return s.Store.ClaimOnce(ctx, name, at)
}

// Ping implements store.Store.
func (s *timedStore) Ping(ctx context.Context) error {
	defer s.m.observeStore("Ping", s.m.now())
	return s.Store.Ping(ctx)
}

// CreateRefreshFamily implements store.Store.
func (s *timedStore) CreateRefreshFamily(ctx context.Context, f store.RefreshFamily) error {
	defer s.m.observeStore("CreateRefreshFamily", s.m.now())
	return s.Store.CreateRefreshFamily(ctx, f)
}

// CreateAuthCode implements store.Store.
func (s *timedStore) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	defer s.m.observeStore("CreateAuthCode", s.m.now())
	return s.Store.CreateAuthCode(ctx, c)
}

// ConsumeAuthCode implements store.Store.
func (s *timedStore) ConsumeAuthCode(ctx context.Context, id string, now time.Time) (store.AuthCode, error) {
	defer s.m.observeStore("ConsumeAuthCode", s.m.now())
	return s.Store.ConsumeAuthCode(ctx, id, now)
}

// CreateSession implements store.Store.
func (s *timedStore) CreateSession(ctx context.Context, sess store.Session) error {
	defer s.m.observeStore("CreateSession", s.m.now())
	return s.Store.CreateSession(ctx, sess)
}

// GetSession implements store.Store.
func (s *timedStore) GetSession(ctx context.Context, id string) (store.Session, error) {
	defer s.m.observeStore("GetSession", s.m.now())
	return s.Store.GetSession(ctx, id)
}

// GetSessionByCookie implements store.Store.
func (s *timedStore) GetSessionByCookie(ctx context.Context, cookieHash string) (store.Session, error) {
	defer s.m.observeStore("GetSessionByCookie", s.m.now())
	return s.Store.GetSessionByCookie(ctx, cookieHash)
}

// DeleteSession implements store.Store.
func (s *timedStore) DeleteSession(ctx context.Context, id string) error {
	defer s.m.observeStore("DeleteSession", s.m.now())
	return s.Store.DeleteSession(ctx, id)
}

// GetConsent implements store.Store.
func (s *timedStore) GetConsent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	defer s.m.observeStore("GetConsent", s.m.now())
	return s.Store.GetConsent(ctx, subject, clientID)
}

// SaveConsent implements store.Store.
func (s *timedStore) SaveConsent(ctx context.Context, c store.Consent) error {
	defer s.m.observeStore("SaveConsent", s.m.now())
	return s.Store.SaveConsent(ctx, c)
}

// CreateTrustedIssuer implements store.Store.
func (s *timedStore) CreateTrustedIssuer(ctx context.Context, i store.TrustedIssuer) error {
	defer s.m.observeStore("CreateTrustedIssuer", s.m.now())
	return s.Store.CreateTrustedIssuer(ctx, i)
}

// GetTrustedIssuer implements store.Store.
func (s *timedStore) GetTrustedIssuer(ctx context.Context, issuer string) (store.TrustedIssuer, error) {
	defer s.m.observeStore("GetTrustedIssuer", s.m.now())
	return s.Store.GetTrustedIssuer(ctx, issuer)
}

// UseOnce implements store.Store.
func (s *timedStore) UseOnce(ctx context.Context, key string, now, expiresAt time.Time) (bool, error) {
	defer s.m.observeStore("UseOnce", s.m.now())
	return s.Store.UseOnce(ctx, key, now, expiresAt)
}

// Secret implements store.Store.
func (s *timedStore) Secret(ctx context.Context, name string, value []byte) ([]byte, error) {
	defer s.m.observeStore("Secret", s.m.now())
	return s.Store.Secret(ctx, name, value)
}
