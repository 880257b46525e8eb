package metrics

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/tracing"
)

// timedStore is a store.Store that times every call of the store it wraps
// and, inside a recorded trace, runs it in a span. Methods it does not
// know pass through untimed.
type timedStore struct {
	store.Store
	m *Metrics
}

var _ store.Store = (*timedStore)(nil)

// Store returns st with the duration of every call recorded in
// fastsafe_auth_store_duration_seconds, labelled with the method's name,
// and, with Tracing, every call made inside a recorded trace run in a
// span "store <method>".
func (m *Metrics) Store(st store.Store) store.Store {
	return &timedStore{Store: st, m: m}
}

// storeCall is one store call being timed and, maybe, traced.
type storeCall struct {
	m     *Metrics
	op    string
	start time.Time
	span  trace.Span // nil outside a recorded trace
}

// begin starts the store call op: its clock and, if ctx is in a recorded
// trace, its span, in the returned context.
func (m *Metrics) begin(ctx context.Context, op string) (context.Context, storeCall) {
	c := storeCall{m: m, op: op, start: m.now()}
	if m.tracer != nil && trace.SpanFromContext(ctx).IsRecording() {
		ctx, c.span = m.tracer.Start(ctx, "store "+op)
	}
	return ctx, c
}

// end records the call's duration and ends its span, failed if err is
// one: a record not found, already there or reused is an answer of the
// store, not a failure.
func (c storeCall) end(err error) {
	c.m.storeDuration.WithLabelValues(c.op).Observe(c.m.now().Sub(c.start).Seconds())
	if c.span == nil {
		return
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAlreadyExists) || errors.Is(err, store.ErrTokenReused) {
		err = nil
	}
	tracing.End(c.span, err)
}

// CreateUser implements store.Store.
func (s *timedStore) CreateUser(ctx context.Context, u store.User) (err error) {
	ctx, call := s.m.begin(ctx, "CreateUser")
	defer func() { call.end(err) }()
	return s.Store.CreateUser(ctx, u)
}

// GetUser implements store.Store.
func (s *timedStore) GetUser(ctx context.Context, username string) (_ store.User, err error) {
	ctx, call := s.m.begin(ctx, "GetUser")
	defer func() { call.end(err) }()
	return s.Store.GetUser(ctx, username)
}

// ListUsers implements store.Store.
func (s *timedStore) ListUsers(ctx context.Context) (_ []store.User, err error) {
	ctx, call := s.m.begin(ctx, "ListUsers")
	defer func() { call.end(err) }()
	return s.Store.ListUsers(ctx)
}

// UpdateUser implements store.Store.
func (s *timedStore) UpdateUser(ctx context.Context, username string, update func(store.User) (store.User, error)) (err error) {
	ctx, call := s.m.begin(ctx, "UpdateUser")
	defer func() { call.end(err) }()
	return s.Store.UpdateUser(ctx, username, update)
}

// DeleteUser implements store.Store.
func (s *timedStore) DeleteUser(ctx context.Context, username string) (err error) {
	ctx, call := s.m.begin(ctx, "DeleteUser")
	defer func() { call.end(err) }()
	return s.Store.DeleteUser(ctx, username)
}

// CreateClient implements store.Store.
func (s *timedStore) CreateClient(ctx context.Context, c store.Client) (err error) {
	ctx, call := s.m.begin(ctx, "CreateClient")
	defer func() { call.end(err) }()
	return s.Store.CreateClient(ctx, c)
}

// GetClient implements store.Store.
func (s *timedStore) GetClient(ctx context.Context, id string) (_ store.Client, err error) {
	ctx, call := s.m.begin(ctx, "GetClient")
	defer func() { call.end(err) }()
	return s.Store.GetClient(ctx, id)
}

// ListClients implements store.Store.
func (s *timedStore) ListClients(ctx context.Context) (_ []store.Client, err error) {
	ctx, call := s.m.begin(ctx, "ListClients")
	defer func() { call.end(err) }()
	return s.Store.ListClients(ctx)
}

// UpdateClient implements store.Store.
func (s *timedStore) UpdateClient(ctx context.Context, id string, update func(store.Client) (store.Client, error)) (err error) {
	ctx, call := s.m.begin(ctx, "UpdateClient")
	defer func() { call.end(err) }()
	return s.Store.UpdateClient(ctx, id, update)
}

// DeleteClient implements store.Store.
func (s *timedStore) DeleteClient(ctx context.Context, id string) (err error) {
	ctx, call := s.m.begin(ctx, "DeleteClient")
	defer func() { call.end(err) }()
	return s.Store.DeleteClient(ctx, id)
}

// CreateRefreshToken implements store.Store.
func (s *timedStore) CreateRefreshToken(ctx context.Context, f store.RefreshFamily, t store.RefreshToken) (err error) {
	ctx, call := s.m.begin(ctx, "CreateRefreshToken")
	defer func() { call.end(err) }()
	return s.Store.CreateRefreshToken(ctx, f, t)
}

// GetRefreshToken implements store.Store.
func (s *timedStore) GetRefreshToken(ctx context.Context, id string) (_ store.RefreshToken, _ store.RefreshFamily, err error) {
	ctx, call := s.m.begin(ctx, "GetRefreshToken")
	defer func() { call.end(err) }()
	return s.Store.GetRefreshToken(ctx, id)
}

// RotateRefreshToken implements store.Store.
func (s *timedStore) RotateRefreshToken(ctx context.Context, oldID string, now time.Time, next store.RefreshToken, grace time.Duration) (retried bool, err error) {
	ctx, call := s.m.begin(ctx, "RotateRefreshToken")
	defer func() { call.end(err) }()
	return s.Store.RotateRefreshToken(ctx, oldID, now, next, grace)
}

// GetRefreshFamily implements store.Store.
func (s *timedStore) GetRefreshFamily(ctx context.Context, id string) (_ store.RefreshFamily, err error) {
	ctx, call := s.m.begin(ctx, "GetRefreshFamily")
	defer func() { call.end(err) }()
	return s.Store.GetRefreshFamily(ctx, id)
}

// RevokeRefreshFamily implements store.Store.
func (s *timedStore) RevokeRefreshFamily(ctx context.Context, id string, now time.Time) (err error) {
	ctx, call := s.m.begin(ctx, "RevokeRefreshFamily")
	defer func() { call.end(err) }()
	return s.Store.RevokeRefreshFamily(ctx, id, now)
}

// RevokeUserRefreshFamilies implements store.Store.
func (s *timedStore) RevokeUserRefreshFamilies(ctx context.Context, username string, now time.Time) (err error) {
	ctx, call := s.m.begin(ctx, "RevokeUserRefreshFamilies")
	defer func() { call.end(err) }()
	return s.Store.RevokeUserRefreshFamilies(ctx, username, now)
}

// RevokeAccessToken implements store.Store.
func (s *timedStore) RevokeAccessToken(ctx context.Context, jti string, expiresAt time.Time) (err error) {
	ctx, call := s.m.begin(ctx, "RevokeAccessToken")
	defer func() { call.end(err) }()
	return s.Store.RevokeAccessToken(ctx, jti, expiresAt)
}

// AccessTokenRevoked implements store.Store.
func (s *timedStore) AccessTokenRevoked(ctx context.Context, jti string) (_ bool, err error) {
	ctx, call := s.m.begin(ctx, "AccessTokenRevoked")
	defer func() { call.end(err) }()
	return s.Store.AccessTokenRevoked(ctx, jti)
}

// CreateSigningKey implements store.Store.
func (s *timedStore) CreateSigningKey(ctx context.Context, k store.SigningKey) (err error) {
	ctx, call := s.m.begin(ctx, "CreateSigningKey")
	defer func() { call.end(err) }()
	return s.Store.CreateSigningKey(ctx, k)
}

// ListSigningKeys implements store.Store.
func (s *timedStore) ListSigningKeys(ctx context.Context) (_ []store.SigningKey, err error) {
	ctx, call := s.m.begin(ctx, "ListSigningKeys")
	defer func() { call.end(err) }()
	return s.Store.ListSigningKeys(ctx)
}

// DeleteSigningKey implements store.Store.
func (s *timedStore) DeleteSigningKey(ctx context.Context, id string) (err error) {
	ctx, call := s.m.begin(ctx, "DeleteSigningKey")
	defer func() { call.end(err) }()
	return s.Store.DeleteSigningKey(ctx, id)
}

// GetSigningKey implements store.Store.
func (s *timedStore) GetSigningKey(ctx context.Context, id string) (_ store.SigningKey, err error) {
	ctx, call := s.m.begin(ctx, "GetSigningKey")
	defer func() { call.end(err) }()
	return s.Store.GetSigningKey(ctx, id)
}

// RevokeSigningKey implements store.Store.
func (s *timedStore) RevokeSigningKey(ctx context.Context, id string, now time.Time) (err error) {
	ctx, call := s.m.begin(ctx, "RevokeSigningKey")
	defer func() { call.end(err) }()
	return s.Store.RevokeSigningKey(ctx, id, now)
}

// DeleteExpired implements store.Store.
func (s *timedStore) DeleteExpired(ctx context.Context, now time.Time) (_ int, err error) {
	ctx, call := s.m.begin(ctx, "DeleteExpired")
	defer func() { call.end(err) }()
	return s.Store.DeleteExpired(ctx, now)
}

// GetFailures implements store.Store.
func (s *timedStore) GetFailures(ctx context.Context, keys []string) (_ []store.FailureRecord, err error) {
	ctx, call := s.m.begin(ctx, "GetFailures")
	defer func() { call.end(err) }()
	return s.Store.GetFailures(ctx, keys)
}

// UpdateFailures implements store.Store.
func (s *timedStore) UpdateFailures(ctx context.Context, key string, now time.Time, update func(store.FailureRecord) store.FailureRecord) (_ store.FailureRecord, err error) {
	ctx, call := s.m.begin(ctx, "UpdateFailures")
	defer func() { call.end(err) }()
	return s.Store.UpdateFailures(ctx, key, now, update)
}

// DeleteFailures implements store.Store.
func (s *timedStore) DeleteFailures(ctx context.Context, key string) (err error) {
	ctx, call := s.m.begin(ctx, "DeleteFailures")
	defer func() { call.end(err) }()
	return s.Store.DeleteFailures(ctx, key)
}

// ListFailures implements store.Store.
func (s *timedStore) ListFailures(ctx context.Context, since, now time.Time) (_ []store.FailureRecord, err error) {
	ctx, call := s.m.begin(ctx, "ListFailures")
	defer func() { call.end(err) }()
	return s.Store.ListFailures(ctx, since, now)
}

// CheckWrite implements store.Store.
func (s *timedStore) CheckWrite(ctx context.Context, now time.Time) (err error) {
	ctx, call := s.m.begin(ctx, "CheckWrite")
	defer func() { call.end(err) }()
	return s.Store.CheckWrite(ctx, now)
}

// ClaimOnce implements store.Store.
func (s *timedStore) ClaimOnce(ctx context.Context, name string, at time.Time) (_ bool, err error) {
	ctx, call := s.m.begin(ctx, "ClaimOnce")
	defer func() { call.end(err) }()
	return s.Store.ClaimOnce(ctx, name, at)
}

// Ping implements store.Store.
func (s *timedStore) Ping(ctx context.Context) (err error) {
	ctx, call := s.m.begin(ctx, "Ping")
	defer func() { call.end(err) }()
	return s.Store.Ping(ctx)
}

// CreateRefreshFamily implements store.Store.
func (s *timedStore) CreateRefreshFamily(ctx context.Context, f store.RefreshFamily) (err error) {
	ctx, call := s.m.begin(ctx, "CreateRefreshFamily")
	defer func() { call.end(err) }()
	return s.Store.CreateRefreshFamily(ctx, f)
}

// CreateAuthCode implements store.Store.
func (s *timedStore) CreateAuthCode(ctx context.Context, c store.AuthCode) (err error) {
	ctx, call := s.m.begin(ctx, "CreateAuthCode")
	defer func() { call.end(err) }()
	return s.Store.CreateAuthCode(ctx, c)
}

// ConsumeAuthCode implements store.Store.
func (s *timedStore) ConsumeAuthCode(ctx context.Context, id string, now time.Time) (_ store.AuthCode, err error) {
	ctx, call := s.m.begin(ctx, "ConsumeAuthCode")
	defer func() { call.end(err) }()
	return s.Store.ConsumeAuthCode(ctx, id, now)
}

// CreateSession implements store.Store.
func (s *timedStore) CreateSession(ctx context.Context, sess store.Session) (err error) {
	ctx, call := s.m.begin(ctx, "CreateSession")
	defer func() { call.end(err) }()
	return s.Store.CreateSession(ctx, sess)
}

// GetSession implements store.Store.
func (s *timedStore) GetSession(ctx context.Context, id string) (_ store.Session, err error) {
	ctx, call := s.m.begin(ctx, "GetSession")
	defer func() { call.end(err) }()
	return s.Store.GetSession(ctx, id)
}

// GetSessionByCookie implements store.Store.
func (s *timedStore) GetSessionByCookie(ctx context.Context, cookieHash string) (_ store.Session, err error) {
	ctx, call := s.m.begin(ctx, "GetSessionByCookie")
	defer func() { call.end(err) }()
	return s.Store.GetSessionByCookie(ctx, cookieHash)
}

// DeleteSession implements store.Store.
func (s *timedStore) DeleteSession(ctx context.Context, id string) (err error) {
	ctx, call := s.m.begin(ctx, "DeleteSession")
	defer func() { call.end(err) }()
	return s.Store.DeleteSession(ctx, id)
}

// GetConsent implements store.Store.
func (s *timedStore) GetConsent(ctx context.Context, subject, clientID string) (_ store.Consent, err error) {
	ctx, call := s.m.begin(ctx, "GetConsent")
	defer func() { call.end(err) }()
	return s.Store.GetConsent(ctx, subject, clientID)
}

// SaveConsent implements store.Store.
func (s *timedStore) SaveConsent(ctx context.Context, c store.Consent) (err error) {
	ctx, call := s.m.begin(ctx, "SaveConsent")
	defer func() { call.end(err) }()
	return s.Store.SaveConsent(ctx, c)
}

// CreateTrustedIssuer implements store.Store.
func (s *timedStore) CreateTrustedIssuer(ctx context.Context, i store.TrustedIssuer) (err error) {
	ctx, call := s.m.begin(ctx, "CreateTrustedIssuer")
	defer func() { call.end(err) }()
	return s.Store.CreateTrustedIssuer(ctx, i)
}

// GetTrustedIssuer implements store.Store.
func (s *timedStore) GetTrustedIssuer(ctx context.Context, issuer string) (_ store.TrustedIssuer, err error) {
	ctx, call := s.m.begin(ctx, "GetTrustedIssuer")
	defer func() { call.end(err) }()
	return s.Store.GetTrustedIssuer(ctx, issuer)
}

// UseOnce implements store.Store.
func (s *timedStore) UseOnce(ctx context.Context, key string, now, expiresAt time.Time) (_ bool, err error) {
	ctx, call := s.m.begin(ctx, "UseOnce")
	defer func() { call.end(err) }()
	return s.Store.UseOnce(ctx, key, now, expiresAt)
}

// Secret implements store.Store.
func (s *timedStore) Secret(ctx context.Context, name string, value []byte) (_ []byte, err error) {
	ctx, call := s.m.begin(ctx, "Secret")
	defer func() { call.end(err) }()
	return s.Store.Secret(ctx, name, value)
}
