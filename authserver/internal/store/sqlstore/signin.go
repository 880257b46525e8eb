package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// codes lists the columns of an authorization code.
var codes = newTable("auth_codes", 1, func(d *dialect, c *store.AuthCode) []field {
	return []field{
		{"id", &c.ID},
		{"client_id", &c.ClientID},
		{"subject", &c.Subject},
		{"redirect_uri", &c.RedirectURI},
		{"scopes", d.list(&c.Scopes)},
		{"audience", d.list(&c.Audience)},
		{"code_challenge", &c.CodeChallenge},
		{"nonce", &c.Nonce},
		{"session_id", &c.SessionID},
		{"auth_time", (*nanos)(&c.AuthTime)},
		{"family_id", &c.FamilyID},
		{"created_at", (*nanos)(&c.CreatedAt)},
		{"expires_at", (*nanos)(&c.ExpiresAt)},
		{"used_at", (*nanos)(&c.UsedAt)},
	}
})

// sessions lists the columns of a browser session.
var sessions = newTable("sessions", 1, func(_ *dialect, s *store.Session) []field {
	return []field{
		{"id", &s.ID},
		{"cookie_hash", &s.CookieHash},
		{"subject", &s.Subject},
		{"auth_time", (*nanos)(&s.AuthTime)},
		{"created_at", (*nanos)(&s.CreatedAt)},
		{"expires_at", (*nanos)(&s.ExpiresAt)},
	}
})

// consents lists the columns of a consent.
var consents = newTable("consents", 2, func(d *dialect, c *store.Consent) []field {
	return []field{
		{"subject", &c.Subject},
		{"client_id", &c.ClientID},
		{"scopes", d.list(&c.Scopes)},
		{"created_at", (*nanos)(&c.CreatedAt)},
		{"updated_at", (*nanos)(&c.UpdatedAt)},
	}
})

var (
	qUseCode            = newQuery(`UPDATE auth_codes SET used_at = ? WHERE id = ? AND used_at IS NULL`)
	qGetSessionByCookie = newReadQuery(`SELECT ` + sessions.columns("") + ` FROM sessions WHERE cookie_hash = ?`)
	qDeleteSession      = newQuery(`DELETE FROM sessions WHERE id = ?`)
	qSaveConsent        = newQuery(`INSERT INTO consents (` + consents.columns("") + `) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (subject, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at`)
	qListConsents        = newQuery(`SELECT ` + consents.columns("") + ` FROM consents WHERE subject = ?`)
	qDeleteConsent       = newQuery(`DELETE FROM consents WHERE subject = ? AND client_id = ?`)
	qRevokeSubjectClient = newQuery(`UPDATE refresh_families SET revoked_at = ?
WHERE subject = ? AND client_id = ? AND revoked_at IS NULL`)
	// What a deleted user or client leaves behind, with the name as the
	// one placeholder.
	qDeleteUserSessions  = newQuery(`DELETE FROM sessions WHERE subject = ?`)
	qDeleteUserConsents  = newQuery(`DELETE FROM consents WHERE subject = ?`)
	qDeleteClientConsent = newQuery(`DELETE FROM consents WHERE client_id = ?`)
	qDeleteClientCodes   = newQuery(`DELETE FROM auth_codes WHERE client_id = ?`)
)

// CreateRefreshFamily starts family f without a refresh token: a grant
// whose access tokens can be revoked with it. store.ErrAlreadyExists if
// the family exists.
func (s *Store) CreateRefreshFamily(ctx context.Context, f store.RefreshFamily) error {
	if err := sqlcodec.CheckFamily(f); err != nil {
		return s.errs.Prefix("create refresh family", err)
	}
	_, err := s.exec(ctx, families.insert, families.ptrs(s.d, &f)...)
	return s.wrap("create refresh family", err)
}

// CreateAuthCode stores c; store.ErrAlreadyExists if its ID exists.
func (s *Store) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	if err := sqlcodec.CheckAuthCode(c); err != nil {
		return s.errs.Prefix("create auth code", err)
	}
	_, err := s.exec(ctx, codes.insert, codes.ptrs(s.d, &c)...)
	return s.wrap("create auth code", err)
}

// ConsumeAuthCode marks the code id used at now and returns it, in one
// transaction that locks it, so that of concurrent uses exactly one
// succeeds. A code used before is returned with store.ErrTokenReused, after
// the family its first use started has been revoked at now (if it exists).
// store.ErrNotFound if there is no such code.
func (s *Store) ConsumeAuthCode(ctx context.Context, id string, now time.Time) (store.AuthCode, error) {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return store.AuthCode{}, s.errs.Prefix("consume auth code", err)
	}
	var (
		c      store.AuthCode
		reused bool
	)
	err := s.inTx(ctx, func(tx tx) error {
		var err error
		reused = false
		if c, err = codes.scan(s.d, tx.queryRow(codes.lock, id)); err != nil {
			return err
		}
		if c.UsedAt.IsZero() {
			n, err := tx.exec(qUseCode, (*nanos)(&now), id)
			if err != nil {
				return err
			}
			if n == 1 {
				c.UsedAt = now
				return nil
			}
		}
		reused = true
		_, err = tx.exec(qRevokeFamily, (*nanos)(&now), c.FamilyID)
		return err
	})
	if err != nil {
		return store.AuthCode{}, s.wrap("consume auth code", err)
	}
	if reused {
		s.log.WarnContext(ctx, "authorization code used again; revoked the grant of its first use", "family", c.FamilyID)
		return c, s.errs.Prefix("consume auth code", store.ErrTokenReused)
	}
	return c, nil
}

// CreateSession stores a browser session; store.ErrAlreadyExists if its ID
// or cookie hash exists.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	if err := sqlcodec.CheckSession(sess); err != nil {
		return s.errs.Prefix("create session", err)
	}
	_, err := s.exec(ctx, sessions.insert, sessions.ptrs(s.d, &sess)...)
	return s.wrap("create session", err)
}

// GetSession returns the session with that ID, expired or not.
func (s *Store) GetSession(ctx context.Context, id string) (store.Session, error) {
	return get(ctx, s, sessions, "get session", id)
}

// GetSessionByCookie returns the session whose cookie has that hash,
// expired or not.
func (s *Store) GetSessionByCookie(ctx context.Context, cookieHash string) (store.Session, error) {
	var sess store.Session
	err := s.retryRead(ctx, func() (err error) {
		sess, err = sessions.scan(s.d, s.queryRow(ctx, qGetSessionByCookie, cookieHash))
		return err
	})
	if err != nil {
		return store.Session{}, s.wrap("get session by cookie", err)
	}
	return sess, nil
}

// DeleteSession ends the session with that ID; store.ErrNotFound if there
// is none.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	n, err := s.exec(ctx, qDeleteSession, id)
	if err == nil {
		err = mustAffect(n)
	}
	return s.wrap("delete session", err)
}

// GetConsent returns what subject allowed clientID.
func (s *Store) GetConsent(ctx context.Context, subject, clientID string) (store.Consent, error) {
	return get(ctx, s, consents, "get consent", subject, clientID)
}

// SaveConsent stores c, replacing the scopes and update time of an
// earlier consent of the same subject to the same client.
func (s *Store) SaveConsent(ctx context.Context, c store.Consent) error {
	if err := sqlcodec.CheckConsent(c); err != nil {
		return s.errs.Prefix("save consent", err)
	}
	_, err := s.exec(ctx, qSaveConsent, consents.ptrs(s.d, &c)...)
	return s.wrap("save consent", err)
}

// ListConsents returns the consents of subject, ordered by client ID.
func (s *Store) ListConsents(ctx context.Context, subject string) ([]store.Consent, error) {
	cs, err := selectAll(ctx, s, consents, "list consents", qListConsents, subject)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cs, func(a, b store.Consent) int { return strings.Compare(a.ClientID, b.ClientID) })
	return cs, nil
}

// DeleteConsent withdraws what subject allowed clientID and revokes, at
// now, the refresh families of that client for that subject, in one
// transaction; store.ErrNotFound if there was no such consent.
func (s *Store) DeleteConsent(ctx context.Context, subject, clientID string, now time.Time) error {
	if err := sqlcodec.RequireTimes(now); err != nil {
		return s.errs.Prefix("delete consent", err)
	}
	err := s.inTx(ctx, func(tx tx) error {
		n, err := tx.exec(qDeleteConsent, subject, clientID)
		if err != nil {
			return err
		}
		if err := mustAffect(n); err != nil {
			return err
		}
		_, err = tx.exec(qRevokeSubjectClient, (*nanos)(&now), subject, clientID)
		return err
	})
	return s.wrap("delete consent", err)
}
