package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

var usersConsentsCommand = command{
	name:    "users consents",
	args:    []string{"NAME"},
	summary: "list what a user allowed applications to do",
	details: `One line per client the user consented to on the consent page, with the
scopes it may have without asking again.`,
	db: dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, args []string) error {
			name, err := normalizeUsername(args[0])
			if err != nil {
				return &usageError{cmd: "users consents", err: err}
			}
			if _, err := a.db.GetUser(ctx, name); err != nil {
				return userError(name, "looking up", err)
			}
			cs, err := a.db.ListConsents(ctx, name)
			if err != nil {
				return fmt.Errorf("listing the consents of %q: %w", name, err)
			}
			t := newTable(a.stdout, "CLIENT", "SCOPES", "GRANTED", "UPDATED")
			for _, c := range cs {
				t.row(c.ClientID, list(c.Scopes), timestamp(c.CreatedAt), timestamp(c.UpdatedAt))
			}
			return t.flush()
		}
	},
}

var usersRevokeConsentCommand = command{
	name:    "users revoke-consent",
	args:    []string{"NAME", "CLIENT"},
	summary: "withdraw what a user allowed a client, and revoke its refresh tokens for the user",
	details: `The client must ask the user's consent again, and the refresh tokens it holds
for the user are revoked, with the access tokens issued under them.`,
	db: dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, args []string) error {
			name, err := normalizeUsername(args[0])
			if err != nil {
				return &usageError{cmd: "users revoke-consent", err: err}
			}
			clientID := args[1]
			err = a.db.DeleteConsent(ctx, name, clientID, a.now())
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("user %q has not consented to client %q", name, clientID)
			}
			if err != nil {
				return fmt.Errorf("revoking the consent of %q to %q: %w", name, clientID, err)
			}
			a.audit(ctx, "consent withdrawn and the client's refresh tokens for the user revoked", "user", name, "client_id", clientID)
			fmt.Fprintf(a.stdout, "consent of user %q to client %q withdrawn; the client's refresh tokens for the user are revoked\n", name, clientID)
			return nil
		}
	},
}
