package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/fastsafe/fastsafe/authserver/internal/redirecturi"
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

--grants lists the grant types the client may use: authorization_code,
password, client_credentials and refresh_token. refresh_token needs
authorization_code or password, as refresh tokens are only issued with
them; a public client cannot use client_credentials.

A client that signs people in (authorization_code) registers the exact
redirect URIs it may send them back to (--redirect-uris): https, or http
on a loopback host (127.0.0.1 and [::1] may vary the port, RFC 8252), or
a private-use scheme such as com.example.app:/cb for a --public native
app. Its --name is shown on the sign-in and consent pages;
--skip-consent marks a first-party client whose requests need no
consent; --post-logout-redirect-uris are where it may send people after
they sign out.

A service that should hold no secret registers its public keys instead
(--jwks FILE, or --jwks-uri URL for keys it rotates itself) and
authenticates with assertions it signs (private_key_jwt, RFC 7523); or it
presents the workload token its platform gives it, from an issuer trusted
with 'authserver issuers add' (--assertion-issuer and
--assertion-subject). A client with --grants token_exchange may exchange
the tokens it receives for the --exchange-audiences it names (RFC 8693).

` + secretOutput,
	db: dbExisting,
	setup: func(fs *flag.FlagSet) action {
		grants := fs.String("grants", "", "comma-separated `list` of the grant types the client may use: authorization_code, password, client_credentials, refresh_token (required)")
		scopes := fs.String("scopes", "", "comma-separated `list` of the scopes the client may request")
		audience := fs.String("audience", "", "comma-separated `list` of the audiences of its access tokens (required)")
		public := fs.Bool("public", false, "the client is public: it has no secret and cannot use client_credentials")
		secretStdin := fs.Bool("secret-stdin", false, "read the secret from standard input instead of generating one")
		var si signIn
		fs.StringVar(&si.redirectURIs, "redirect-uris", "", "comma-separated `list` of the exact redirect URIs of the authorization_code grant (required with it)")
		fs.StringVar(&si.postLogout, "post-logout-redirect-uris", "", "comma-separated `list` of the URIs people may be sent to after signing out")
		fs.StringVar(&si.name, "name", "", "the `name` shown on the sign-in and consent pages (default: the ID)")
		fs.BoolVar(&si.skipConsent, "skip-consent", false, "a first-party client: people are not asked to consent to its requests")
		var keys clientKeys
		keys.register(fs)
		return func(ctx context.Context, a *app, args []string) error {
			const cmd = "clients add"
			c, err := newClient(args[0], *grants, *scopes, *audience, *public, *secretStdin, si)
			if err == nil {
				err = keys.apply(&c, *public, *secretStdin)
			}
			if err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			if c.AssertionIssuer != "" {
				if _, err := a.db.GetTrustedIssuer(ctx, c.AssertionIssuer); errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("issuer %q is not trusted; add it first with 'authserver issuers add %s'", c.AssertionIssuer, c.AssertionIssuer)
				} else if err != nil {
					return fmt.Errorf("looking up issuer %q: %w", c.AssertionIssuer, err)
				}
			}
			// Refuse a taken ID before asking for a secret.
			if err := a.nameFree(ctx, c.ID, "client"); err != nil {
				return err
			}
			var sec string
			if !*public && !c.UsesAssertion() {
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
				"grants", c.Grants, "scopes", c.Scopes, "audience", c.Audience,
				"redirect_uris", c.RedirectURIs, "skip_consent", c.SkipConsent,
				"jwks_uri", c.JWKSURI, "assertion_issuer", c.AssertionIssuer, "assertion_subject", c.AssertionSubject,
				"exchange_audiences", c.ExchangeAudiences)
			switch {
			case c.UsesAssertion():
				fmt.Fprintf(a.stdout, "client %q added; it authenticates with signed assertions, and has no secret\n", c.ID)
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

// signIn are the settings of "clients add" for clients that sign people
// in.
type signIn struct {
	redirectURIs, postLogout, name string
	skipConsent                    bool
}

// newClient checks the arguments of "clients add" and returns the client
// they describe, without a secret.
func newClient(id, grants, scopes, audience string, public, secretStdin bool, si signIn) (store.Client, error) {
	if err := checkClientID(id); err != nil {
		return store.Client{}, err
	}
	g, err := parseList("grants", grants, checkGrant)
	if err != nil {
		return store.Client{}, err
	}
	if len(g) == 0 {
		return store.Client{}, fmt.Errorf("--grants is required; want one or more of %s", strings.Join(grantTypes, ", "))
	}
	for i, v := range g {
		if v == grantTokenExchangeAlias {
			g[i] = grantTokenExchange
		}
	}
	g = slices.Compact(g)
	if slices.Contains(g, grantRefreshToken) && !slices.Contains(g, grantPassword) && !slices.Contains(g, grantAuthorizationCode) {
		return store.Client{}, errors.New("--grants refresh_token needs authorization_code or password too: refresh tokens are only issued with them")
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
	c := store.Client{ID: id, Grants: g, Scopes: sc, Audience: aud, SkipConsent: si.skipConsent}
	if err := si.apply(&c, public); err != nil {
		return store.Client{}, err
	}
	return c, nil
}

// apply checks the sign-in settings and sets them on c.
func (si signIn) apply(c *store.Client, public bool) error {
	kind := redirecturi.Web
	if public {
		kind = redirecturi.Native
	}
	check := func(uri string) error { return redirecturi.Validate(uri, kind) }
	var err error
	if c.RedirectURIs, err = parseList("redirect-uris", si.redirectURIs, check); err != nil {
		return err
	}
	if c.PostLogoutRedirectURIs, err = parseList("post-logout-redirect-uris", si.postLogout, check); err != nil {
		return err
	}
	codeGrant := slices.Contains(c.Grants, grantAuthorizationCode)
	switch {
	case codeGrant && len(c.RedirectURIs) == 0:
		return errors.New("--grants authorization_code needs --redirect-uris: the exact URIs people are sent back to")
	case !codeGrant && (len(c.RedirectURIs) > 0 || len(c.PostLogoutRedirectURIs) > 0 || si.skipConsent):
		return errors.New("--redirect-uris, --post-logout-redirect-uris and --skip-consent are for clients with the authorization_code grant")
	case !store.ValidClientName(si.name):
		return fmt.Errorf("--name must be at most %d bytes of printable text", store.MaxClientNameLength)
	}
	c.Name = strings.TrimSpace(si.name)
	return nil
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
			t := newTable(a.stdout, "ID", "TYPE", "GRANTS", "SCOPES", "AUDIENCE", "NAME", "CONSENT", "REDIRECT URIS", "POST-LOGOUT URIS", "EXCHANGE AUDIENCES")
			for _, c := range clients {
				kind := "confidential"
				switch {
				case c.JWKS != "" || c.JWKSURI != "":
					kind = "private_key_jwt"
				case c.AssertionIssuer != "":
					kind = "workload " + c.AssertionIssuer + " " + c.AssertionSubject
				case c.Public():
					kind = "public"
				}
				if c.Registered() {
					kind += ", registered"
				}
				consent := "asked"
				switch {
				case !slices.Contains(c.Grants, grantAuthorizationCode):
					consent = ""
				case c.SkipConsent:
					consent = "skipped"
				}
				t.row(c.ID, kind, list(c.Grants), list(c.Scopes), list(c.Audience), c.Name, consent,
					list(c.RedirectURIs), list(c.PostLogoutRedirectURIs), list(c.ExchangeAudiences))
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
			if c.UsesAssertion() {
				return clientError(id, "", errAssertionClient)
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
				if c.UsesAssertion() {
					return c, errAssertionClient
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

var (
	errPublicClient    = errors.New("public client")
	errAssertionClient = errors.New("client authenticating with assertions")
)

// clientError words a store error about the client ID; nil stays nil.
func clientError(id, doing string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("client %q does not exist", id)
	case errors.Is(err, errPublicClient):
		return fmt.Errorf("client %q is public: it has no secret to rotate", id)
	case errors.Is(err, errAssertionClient):
		return fmt.Errorf("client %q authenticates with signed assertions: it has no secret to rotate", id)
	}
	return fmt.Errorf("%s client %q: %w", doing, id, err)
}
