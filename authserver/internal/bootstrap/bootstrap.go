package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/username"
)

// ClaimName is the one-time step Run claims in the store.
const ClaimName = "bootstrap"

// Grant types and scopes of the clients Run creates.
var (
	// ConfidentialGrants are the grants of the confidential client.
	ConfidentialGrants = []string{"password", "client_credentials", "refresh_token"}
	// PublicGrants are the grants of the public client: no
	// client_credentials, as it has no secret.
	PublicGrants = []string{"password", "refresh_token"}
	// PublicSignInGrants are the grants of the public client given
	// redirect URIs: it signs people in on the sign-in page too.
	PublicSignInGrants = []string{"authorization_code", "password", "refresh_token"}
	// RPGrants are the grants of the client that signs people in.
	RPGrants = []string{"authorization_code", "refresh_token"}
	// RPScopes are the OpenID Connect scopes the client that signs people
	// in gets besides the Spec's scopes: an ID token with the person's
	// name and e-mail address.
	RPScopes = []string{"openid", "profile", "email"}
)

// DocsClientName is the name the sign-in page shows for the docs client.
const DocsClientName = "API documentation"

// Store is the part of the store Run uses.
type Store interface {
	ClaimOnce(ctx context.Context, name string, at time.Time) (bool, error)
	CreateUser(ctx context.Context, u store.User) error
	CreateClient(ctx context.Context, c store.Client) error
}

var _ Store = (store.Store)(nil)

// Hasher hashes the user's password.
type Hasher interface {
	Hash(ctx context.Context, pw string) ([]byte, error)
}

var _ Hasher = (*password.Hasher)(nil)

// Bootstrapper creates the initial data in one store.
type Bootstrapper struct {
	store  Store
	hasher Hasher
	log    *slog.Logger
	now    func() time.Time
}

// New returns a Bootstrapper that writes to st, hashes the password with h,
// logs what it creates (never a password or secret) to log and dates it
// with now.
func New(st Store, h Hasher, log *slog.Logger, now func() time.Time) *Bootstrapper {
	return &Bootstrapper{store: st, hasher: h, log: log, now: now}
}

// Run creates what s describes if s is enabled and no earlier Run on the
// store (in any process) has claimed the step. It reports whether this call
// claimed it.
//
// s is validated, and the password hashed, before the claim, so that a
// mistake in the settings leaves the step unclaimed for the next start.
// After the claim, every part is attempted: one that already exists is
// left unchanged and logged, and the errors of the others are returned
// together. The step stays claimed even then; what is missing must be
// added with the authserver users and clients commands.
func (b *Bootstrapper) Run(ctx context.Context, s Spec) (bool, error) {
	if !s.Enabled() {
		return false, nil
	}
	if err := s.Validate(); err != nil {
		return false, err
	}
	now := b.now()

	var user *store.User
	if s.Username != "" {
		name, err := username.Normalize(s.Username)
		if err != nil {
			return false, fmt.Errorf("--bootstrap-user: %w", err)
		}
		hash, err := b.hasher.Hash(ctx, s.Password)
		if err != nil {
			return false, fmt.Errorf("hashing the password of the initial user %q: %w", name, err)
		}
		user = &store.User{
			Username:     name,
			PasswordHash: hash,
			Scopes:       clone(s.Scopes),
			CreatedAt:    now,
			UpdatedAt:    now,
		}
	}
	var clients []store.Client
	if s.ClientID != "" {
		clients = append(clients, store.Client{
			ID:         s.ClientID,
			SecretHash: secret.Hash(s.ClientSecret),
			Grants:     clone(ConfidentialGrants),
			Scopes:     clone(s.Scopes),
			Audience:   clone(s.Audience),
			CreatedAt:  now,
			UpdatedAt:  now,
		})
	}
	if s.DocsClientID != "" {
		docs := store.Client{
			ID:        s.DocsClientID,
			Name:      DocsClientName,
			Grants:    clone(PublicGrants),
			Scopes:    clone(s.Scopes),
			Audience:  clone(s.Audience),
			CreatedAt: now,
			UpdatedAt: now,
		}
		if len(s.DocsRedirectURIs) > 0 {
			docs.Grants = clone(PublicSignInGrants)
			docs.RedirectURIs = union(s.DocsRedirectURIs)
			docs.SkipConsent = true
		}
		clients = append(clients, docs)
	}
	if s.RPClientID != "" {
		clients = append(clients, store.Client{
			ID:           s.RPClientID,
			Name:         strings.TrimSpace(s.RPClientName),
			SecretHash:   secret.Hash(s.RPClientSecret),
			Grants:       clone(RPGrants),
			Scopes:       union(RPScopes, s.Scopes),
			Audience:     clone(s.Audience),
			RedirectURIs: union(s.RPRedirectURIs),
			CreatedAt:    now,
			UpdatedAt:    now,
		})
	}

	claimed, err := b.store.ClaimOnce(ctx, ClaimName, now)
	if err != nil {
		return false, fmt.Errorf("claiming the creation of the initial user and clients: %w", err)
	}
	if !claimed {
		b.log.Info("initial user and clients were created by an earlier start; the bootstrap settings are ignored")
		return false, nil
	}

	var errs []error
	if user != nil {
		err := b.store.CreateUser(ctx, *user)
		switch {
		case err == nil:
			b.log.Info("created the initial user", "audit", true, "actor", "bootstrap", "user", user.Username, "scopes", user.Scopes)
		case errors.Is(err, store.ErrAlreadyExists):
			b.log.Warn("the name of the initial user is taken; left as it is", "user", user.Username)
		default:
			errs = append(errs, fmt.Errorf("creating the initial user %q: %w", user.Username, err))
		}
	}
	for _, c := range clients {
		kind := "confidential"
		if c.Public() {
			kind = "public"
		}
		err := b.store.CreateClient(ctx, c)
		switch {
		case err == nil:
			b.log.Info("created an initial client", "audit", true, "actor", "bootstrap", "client_id", c.ID, "type", kind,
				"grants", c.Grants, "scopes", c.Scopes, "audience", c.Audience,
				"redirect_uris", c.RedirectURIs, "skip_consent", c.SkipConsent)
		case errors.Is(err, store.ErrAlreadyExists):
			b.log.Warn("the ID of an initial client is taken; left as it is", "client_id", c.ID)
		default:
			errs = append(errs, fmt.Errorf("creating the initial %s client %q: %w", kind, c.ID, err))
		}
	}
	if len(errs) > 0 {
		errs = append(errs, errors.New("the initial data is created only once: add what is missing with 'authserver users add' and 'authserver clients add'"))
		return true, errors.Join(errs...)
	}
	return true, nil
}

func clone(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return append([]string(nil), l...)
}

// union returns the items of the lists in order, each once.
func union(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, v := range l {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}
