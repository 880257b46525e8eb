package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

var registrationTokensAddCommand = command{
	name:    "registration-tokens add",
	summary: "make an initial access token for client registration; prints it once",
	details: `With --registration token, clients register themselves at POST /register
only with an initial access token (RFC 7591 §3) in their Authorization
header: this command makes one, good for --uses registrations until
--expires. The token is printed once, alone on standard output; only its
SHA-256 is stored, which 'registration-tokens list' shows as its ID.`,
	db: dbExisting,
	setup: func(fs *flag.FlagSet) action {
		expires := fs.Duration("expires", 24*time.Hour, "how long the token is good for")
		uses := fs.Int("uses", 1, "how many clients it may register")
		return func(ctx context.Context, a *app, _ []string) error {
			const cmd = "registration-tokens add"
			if *expires <= 0 || *expires > 365*24*time.Hour {
				return usagef(cmd, "--expires must be greater than zero and at most 8760h, not %s", config.FormatDuration(*expires))
			}
			if *uses < 1 || *uses > 1_000_000 {
				return usagef(cmd, "--uses must be from 1 to 1000000, not %d", *uses)
			}
			value := rand.Text() + rand.Text()
			sum := sha256.Sum256([]byte(value))
			now := a.now()
			t := store.RegistrationToken{ID: hex.EncodeToString(sum[:]), UsesLeft: *uses, CreatedAt: now, ExpiresAt: now.Add(*expires)}
			if err := a.db.CreateRegistrationToken(ctx, t); err != nil {
				return fmt.Errorf("adding the registration token: %w", err)
			}
			a.audit(ctx, "registration token added", "id", t.ID, "uses", t.UsesLeft, "expires", t.ExpiresAt.UTC().Format(time.RFC3339))
			fmt.Fprintf(a.stderr, "registration token %s… added, good for %d registration(s) until %s; it follows, shown only this once:\n",
				t.ID[:12], t.UsesLeft, t.ExpiresAt.UTC().Format(time.RFC3339))
			fmt.Fprintln(a.stdout, value)
			return nil
		}
	},
}

var registrationTokensListCommand = command{
	name:    "registration-tokens list",
	summary: "list the initial access tokens for client registration (never the tokens themselves)",
	db:      dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, _ []string) error {
			ts, err := a.db.ListRegistrationTokens(ctx)
			if err != nil {
				return fmt.Errorf("listing registration tokens: %w", err)
			}
			t := newTable(a.stdout, "ID", "USES LEFT", "CREATED", "EXPIRES")
			for _, rt := range ts {
				t.row(rt.ID, strconv.Itoa(rt.UsesLeft), timestamp(rt.CreatedAt), timestamp(rt.ExpiresAt))
			}
			return t.flush()
		}
	},
}

var registrationTokensDeleteCommand = command{
	name:    "registration-tokens delete",
	args:    []string{"ID"},
	summary: "withdraw an initial access token for client registration",
	db:      dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, args []string) error {
			err := a.db.DeleteRegistrationToken(ctx, args[0])
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("registration token %q does not exist", args[0])
			}
			if err != nil {
				return fmt.Errorf("deleting registration token %q: %w", args[0], err)
			}
			a.audit(ctx, "registration token deleted", "id", args[0])
			fmt.Fprintf(a.stdout, "registration token %s deleted\n", args[0])
			return nil
		}
	},
}
