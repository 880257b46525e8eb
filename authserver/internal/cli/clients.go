package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"

	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
)

const secretOutput = `The secret is printed once, alone on standard output, and only its SHA-256
is stored: keep it now, it cannot be shown again. With --secret-stdin the
secret is read from the first line of standard input instead (asked for
twice, without echo, on a terminal); it must be 32 to 512 visible ASCII
characters.`

var clientsAddCommand = command{
	name:    "clients add",
	args:    []string{"ID"},
	summary: "add a client; prints its generated secret once",
	details: `ID is 1 to 128 ASCII letters, digits, '-', '.', '_' or '~'. Users and
clients share one namespace: a client cannot take a user's name as ID.

--grants lists the grant types the client may use: password,
client_credentials and refresh_token. refresh_token needs password, as
refresh tokens are only issued with it; a public client cannot use
client_credentials.

` + secretOutput,
	db: dbExisting,
	setup: func(fs *flag.FlagSet) action {
		grants := fs.String("grants", "", "comma-separated `list` of the grant types the client may use: password, client_credentials, refresh_token (required)")
		scopes := fs.String("scopes", "", "comma-separated `list` of the scopes the client may request")
		audience := fs.String("audience", "", "comma-separated `list` of the audiences of its access tokens (required)")
		public := fs.Bool("public", false, "the client is public: it has no secret and cannot use client_credentials")
		secretStdin := fs.Bool("secret-stdin", false, "read the secret from standard input instead of generating one")
		return func(ctx context.Context, a *app, args []string) error {
			const cmd = "clients add"
			c, err := newClient(args[0], *grants, *scopes, *audience, *public, *secretStdin)
			if err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			// Refuse a taken ID before asking for a secret.
			if err := a.nameFree(ctx, c.ID, "client"); err != nil {
				return err
			}
			var sec string
			if !*public {
				if sec, err = a.newSecret(ctx, *secretStdin); err != nil {
					return err
				}
				c.SecretHash = secret.Hash(sec)
			}
			c.CreatedAt = a.now()
			c.UpdatedAt = c.CreatedAt
			err = a.db.CreateClient(ctx, c)
			if errors.Is(err, store.ErrAlreadyExists) {
				return a.alreadyExists(ctx, c.ID, "client")
			}
			if err != nil {
				return fmt.Errorf("adding client %q: %w", c.ID, err)
			}
			a.audit(ctx, "client added", "client_id", c.ID, "public", *public,
				"grants", c.Grants, "scopes", c.Scopes, "audience", c.Audience)
			switch {
			case *public:
				fmt.Fprintf(a.stdout, "public client %q added\n", c.ID)
			case *secretStdin:
				fmt.Fprintf(a.stdout, "client %q added with the secret from standard input\n", c.ID)
			default:
				fmt.Fprintf(a.stderr, "client %q added; its secret follows, shown only this once:\n", c.ID)
				fmt.Fprintln(a.stdout, sec)
			}
			return nil
		}
	},
}

// newClient checks the arguments of "clients add" and returns the client
// they describe, without a secret.
func newClient(id, grants, scopes, audience string, public, secretStdin bool) (store.Client, error) {
	if err := checkClientID(id); err != nil {
		return store.Client{}, err
	}
	g, err := parseList("grants", grants, checkGrant)
	if err != nil {
		return store.Client{}, err
	}
	if len(g) == 0 {
		return store.Client{}, fmt.Errorf("--grants is required; want one or more of password, client_credentials, refresh_token")
	}
	if slices.Contains(g, grantRefreshToken) && !slices.Contains(g, grantPassword) {
		return store.Client{}, errors.New("--grants refresh_token needs password too: refresh tokens are only issued with the password grant")
	}
	if public && slices.Contains(g, grantClientCredentials) {
		return store.Client{}, errors.New("a public client cannot use client_credentials: it has no secret to authenticate with")
	}
	if public && secretStdin {
		return store.Client{}, errors.New("--secret-stdin and --public exclude each other: a public client has no secret")
	}
	sc, err := parseList("scopes", scopes, checkScope)
	if err != nil {
		return store.Client{}, err
	}
	aud, err := parseList("audience", audience, checkAudience)
	if err != nil {
		return store.Client{}, err
	}
	if len(aud) == 0 {
		return store.Client{}, errors.New("--audience is required: the resource servers its access tokens are for")
	}
	return store.Client{ID: id, Grants: g, Scopes: sc, Audience: aud}, nil
}

var clientsListCommand = command{
	name:    "clients list",
	summary: "list the clients (never their secrets)",
	db:      dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, _ []string) error {
			clients, err := a.db.ListClients(ctx)
			if err != nil {
				return fmt.Errorf("listing clients: %w", err)
			}
			t := newTable(a.stdout, "ID", "TYPE", "GRANTS", "SCOPES", "AUDIENCE")
			for _, c := range clients {
				kind := "confidential"
				if c.Public() {
					kind = "public"
				}
				t.row(c.ID, kind, list(c.Grants), list(c.Scopes), list(c.Audience))
			}
			return t.flush()
		}
	},
}

var clientsDeleteCommand = command{
	name:    "clients delete",
	args:    []string{"ID"},
	summary: "delete a client and revoke its refresh tokens",
	db:      dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, args []string) error {
			if err := clientError(args[0], "deleting", a.db.DeleteClient(ctx, args[0])); err != nil {
				return err
			}
			a.audit(ctx, "client deleted", "client_id", args[0])
			fmt.Fprintf(a.stdout, "client %q deleted\n", args[0])
			return nil
		}
	},
}

var clientsRotateSecretCommand = command{
	name:    "clients rotate-secret",
	args:    []string{"ID"},
	summary: "replace a client's secret; prints the new one once",
	details: "The old secret stops working at once.\n\n" + secretOutput,
	db:      dbExisting,
	setup: func(fs *flag.FlagSet) action {
		secretStdin := fs.Bool("secret-stdin", false, "read the new secret from standard input instead of generating one")
		return func(ctx context.Context, a *app, args []string) error {
			id := args[0]
			c, err := a.db.GetClient(ctx, id)
			if err != nil {
				return clientError(id, "looking up", err)
			}
			if c.Public() {
				return clientError(id, "", errPublicClient)
			}
			sec, err := a.newSecret(ctx, *secretStdin)
			if err != nil {
				return err
			}
			now := a.now()
			err = a.db.UpdateClient(ctx, id, func(c store.Client) (store.Client, error) {
				if c.Public() {
					return c, errPublicClient
				}
				c.SecretHash = secret.Hash(sec)
				c.UpdatedAt = now
				return c, nil
			})
			if err := clientError(id, "updating", err); err != nil {
				return err
			}
			a.audit(ctx, "client secret replaced", "client_id", id)
			if *secretStdin {
				fmt.Fprintf(a.stdout, "secret of client %q replaced with the one from standard input\n", id)
				return nil
			}
			fmt.Fprintf(a.stderr, "secret of client %q replaced; the new one follows, shown only this once:\n", id)
			fmt.Fprintln(a.stdout, sec)
			return nil
		}
	},
}

var errPublicClient = errors.New("public client")

// clientError words a store error about the client ID; nil stays nil.
func clientError(id, doing string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("client %q does not exist", id)
	case errors.Is(err, errPublicClient):
		return fmt.Errorf("client %q is public: it has no secret to rotate", id)
	}
	return fmt.Errorf("%s client %q: %w", doing, id, err)
}
