package sqlcodec

import (
	"errors"
	"fmt"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

// The checks below run before a backend writes anything. Their errors name
// what is wrong without the backend or the operation, which the backend adds
// with Errors.Prefix.

// CheckUser checks a user to be created: it needs a name, and its times
// must be storable.
func CheckUser(u store.User) error {
	if u.Username == "" {
		return errors.New("empty username")
	}
	return CheckTimes(u.CreatedAt, u.UpdatedAt)
}

// CheckClient checks a client to be created: it needs an ID, and its times
// must be storable.
func CheckClient(c store.Client) error {
	if c.ID == "" {
		return errors.New("empty id")
	}
	return CheckTimes(c.CreatedAt, c.UpdatedAt)
}

// CheckRefreshToken checks the family f and its first token t to be
// created, and completes t from f with FillToken.
func CheckRefreshToken(f store.RefreshFamily, t *store.RefreshToken) error {
	if f.ID == "" || t.ID == "" {
		return errors.New("empty id")
	}
	if err := RequireTimes(f.ExpiresAt, t.ExpiresAt); err != nil {
		return err
	}
	if err := CheckTimes(f.CreatedAt, f.RevokedAt, t.CreatedAt, t.UsedAt); err != nil {
		return err
	}
	return FillToken(t, f)
}

// CheckRotation checks the token next that a rotation at now adds. It is
// completed from its family, with FillToken, once the family is read.
func CheckRotation(now time.Time, next store.RefreshToken) error {
	if next.ID == "" {
		return errors.New("empty id")
	}
	if err := RequireTimes(now, next.ExpiresAt); err != nil {
		return err
	}
	return CheckTimes(next.CreatedAt, next.UsedAt)
}

// FillToken completes t from the family f it belongs to: an empty FamilyID,
// ClientID or Subject is taken from f, a different one is an error. Its
// expiry is capped at the family's.
func FillToken(t *store.RefreshToken, f store.RefreshFamily) error {
	for _, p := range []struct {
		field *string
		want  string
		name  string
	}{
		{&t.FamilyID, f.ID, "family"},
		{&t.ClientID, f.ClientID, "client"},
		{&t.Subject, f.Subject, "subject"},
	} {
		switch *p.field {
		case "":
			*p.field = p.want
		case p.want:
		default:
			return fmt.Errorf("refresh token %s does not match its family", p.name)
		}
	}
	if t.ExpiresAt.After(f.ExpiresAt) {
		t.ExpiresAt = f.ExpiresAt
	}
	return nil
}

// CheckRevocation checks a revocation record of the access token jti,
// which needs the token's expiry.
func CheckRevocation(jti string, expiresAt time.Time) error {
	if jti == "" {
		return errors.New("empty jti")
	}
	return RequireTimes(expiresAt)
}

// CheckSigningKey checks a signing key to be created: it needs an ID and a
// private key, and its times must be storable.
func CheckSigningKey(k store.SigningKey) error {
	if k.ID == "" {
		return errors.New("empty id")
	}
	if len(k.PrivateKey) == 0 {
		return errors.New("empty private key")
	}
	return CheckTimes(k.CreatedAt, k.ActivatesAt, k.RevokedAt)
}

// CheckClaim checks a claim of the one-time step name at at.
func CheckClaim(name string, at time.Time) error {
	if name == "" {
		return errors.New("empty name")
	}
	return CheckTimes(at)
}

// CheckFamily checks a refresh family created without a token: it needs
// an ID and an expiry.
func CheckFamily(f store.RefreshFamily) error {
	if f.ID == "" || f.ClientID == "" || f.Subject == "" {
		return errors.New("empty id, client or subject")
	}
	if err := RequireTimes(f.ExpiresAt); err != nil {
		return err
	}
	return CheckTimes(f.CreatedAt, f.RevokedAt)
}

// CheckAuthCode checks an authorization code to be stored: it needs an ID,
// its client, subject, redirect URI, challenge, session and family, and
// an expiry.
func CheckAuthCode(c store.AuthCode) error {
	for _, v := range []string{c.ID, c.ClientID, c.Subject, c.RedirectURI, c.CodeChallenge, c.SessionID, c.FamilyID} {
		if v == "" {
			return errors.New("empty id, client, subject, redirect URI, challenge, session or family")
		}
	}
	if err := RequireTimes(c.ExpiresAt); err != nil {
		return err
	}
	return CheckTimes(c.AuthTime, c.CreatedAt, c.UsedAt)
}

// CheckSession checks a browser session to be stored: it needs an ID, a
// cookie hash, a subject and an expiry.
func CheckSession(s store.Session) error {
	if s.ID == "" || s.CookieHash == "" || s.Subject == "" {
		return errors.New("empty id, cookie hash or subject")
	}
	if err := RequireTimes(s.ExpiresAt); err != nil {
		return err
	}
	return CheckTimes(s.AuthTime, s.CreatedAt)
}

// CheckConsent checks a consent to be stored: it needs a subject and a
// client.
func CheckConsent(c store.Consent) error {
	if c.Subject == "" || c.ClientID == "" {
		return errors.New("empty subject or client")
	}
	return CheckTimes(c.CreatedAt, c.UpdatedAt)
}
