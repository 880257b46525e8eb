package sqlstore

import (
	"context"
	"slices"
	"strings"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlcodec"
)

// clients lists the columns of a client.
var clients = newTable("clients", 1, func(d *dialect, c *store.Client) []field {
	return []field{
		{"id", &c.ID},
		{"secret_hash", (*blob)(&c.SecretHash)},
		{"grants", d.list(&c.Grants)},
		{"scopes", d.list(&c.Scopes)},
		{"audience", d.list(&c.Audience)},
		{"created_at", (*nanos)(&c.CreatedAt)},
		{"updated_at", (*nanos)(&c.UpdatedAt)},
		{"name", &c.Name},
		{"redirect_uris", d.list(&c.RedirectURIs)},
		{"post_logout_redirect_uris", d.list(&c.PostLogoutRedirectURIs)},
		{"skip_consent", &c.SkipConsent},
		{"registration_token_hash", (*blob)(&c.RegistrationTokenHash)},
		{"first_used_at", (*nanos)(&c.FirstUsedAt)},
		{"jwks", &c.JWKS},
		{"jwks_uri", &c.JWKSURI},
		{"assertion_issuer", &c.AssertionIssuer},
		{"assertion_subject", &c.AssertionSubject},
		{"exchange_audiences", d.list(&c.ExchangeAudiences)},
	}
})

var (
	qDeleteClient = newQuery(`DELETE FROM clients WHERE id = ?`)
	// The families issued to the client, and those whose subject it is
	// (client_credentials grants have none, but a family's subject is
	// only a name).
	qRevokeClient = newQuery(`UPDATE refresh_families SET revoked_at = ?
WHERE (client_id = ? OR subject = ?) AND revoked_at IS NULL`)
)

// CreateClient adds c; store.ErrAlreadyExists if a client or a user has
// that name.
func (s *Store) CreateClient(ctx context.Context, c store.Client) error {
	if err := sqlcodec.CheckClient(c); err != nil {
		return s.errs.Prefix("create client", err)
	}
	return s.wrap("create client", createSubject(ctx, s, clients, &c, c.ID, kindClient))
}

// GetClient returns the client with that ID.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	return get(ctx, s, clients, "get client", id)
}

// ListClients returns all clients ordered by ID, bytewise whatever the
// database's collation.
func (s *Store) ListClients(ctx context.Context) ([]store.Client, error) {
	cs, err := all(ctx, s, clients, "list clients")
	slices.SortFunc(cs, func(a, b store.Client) int { return strings.Compare(a.ID, b.ID) })
	return cs, err
}

// UpdateClient applies update to the stored client as UpdateUser does to a
// user. Changes update makes to ID or CreatedAt are ignored.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(store.Client) (store.Client, error)) error {
	return update1(ctx, s, clients, "update client", id, update, func(old store.Client, c *store.Client) error {
		c.ID, c.CreatedAt = old.ID, old.CreatedAt
		return sqlcodec.CheckTimes(c.UpdatedAt)
	})
}

// DeleteClient removes the client, frees its ID and revokes, at the store's
// clock, the refresh families issued to it or whose subject it is;
// store.ErrNotFound if there is no such client.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	return s.deleteSubject(ctx, "delete client", id, kindClient, qDeleteClient, qRevokeClient,
		qDeleteClientConsent, qDeleteClientCodes)
}
