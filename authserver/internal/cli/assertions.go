package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/pkg/jwks"
)

// grantTokenExchange is the grant type of token exchange (RFC 8693), and
// grantTokenExchangeAlias the short name --grants also accepts for it.
const (
	grantTokenExchange      = "urn:ietf:params:oauth:grant-type:token-exchange"
	grantTokenExchangeAlias = "token_exchange"
)

// maxJWKSFile bounds a key set file registered for a client.
const maxJWKSFile = 64 << 10

// clientKeys are the settings of "clients add" for clients that
// authenticate with signed assertions instead of a secret, and that may
// exchange tokens.
type clientKeys struct {
	jwksFile, jwksURI                 string
	assertionIssuer, assertionSubject string
	exchangeAudiences                 string
}

func (k *clientKeys) register(fs *flag.FlagSet) {
	fs.StringVar(&k.jwksFile, "jwks", "", "`file` of the client's public keys (a JSON Web Key Set): it authenticates with assertions signed by them (private_key_jwt), and has no secret")
	fs.StringVar(&k.jwksURI, "jwks-uri", "", "`URL` of the client's public keys, fetched and cached: as --jwks, for keys the client rotates itself")
	fs.StringVar(&k.assertionIssuer, "assertion-issuer", "", "trusted issuer `URL` (authserver issuers add) whose workload tokens the client presents as its assertion; no secret")
	fs.StringVar(&k.assertionSubject, "assertion-subject", "", "the `subject` (\"sub\") of the client's workload tokens at --assertion-issuer, such as system:serviceaccount:NAMESPACE:NAME")
	fs.StringVar(&k.exchangeAudiences, "exchange-audiences", "", "comma-separated `list` of the audiences the client may exchange tokens for (token exchange, RFC 8693)")
}

// apply checks the settings and sets them on c, reading the key set file.
func (k clientKeys) apply(c *store.Client, public, secretStdin bool) error {
	ways := 0
	for _, v := range []string{k.jwksFile, k.jwksURI, k.assertionIssuer} {
		if v != "" {
			ways++
		}
	}
	switch {
	case ways > 1:
		return errors.New("--jwks, --jwks-uri and --assertion-issuer exclude each other: a client has one source of keys")
	case ways == 1 && (public || secretStdin):
		return errors.New("a client with --jwks, --jwks-uri or --assertion-issuer has no secret: drop --public and --secret-stdin")
	case (k.assertionIssuer == "") != (k.assertionSubject == ""):
		return errors.New("--assertion-issuer and --assertion-subject go together")
	}
	if k.jwksFile != "" {
		set, err := readJWKS(k.jwksFile)
		if err != nil {
			return err
		}
		c.JWKS = set
	}
	for _, u := range []struct{ flag, value string }{{"jwks-uri", k.jwksURI}, {"assertion-issuer", k.assertionIssuer}} {
		if u.value != "" {
			if err := checkIssuerURL(u.value); err != nil {
				return fmt.Errorf("--%s: %w", u.flag, err)
			}
		}
	}
	c.JWKSURI, c.AssertionIssuer, c.AssertionSubject = k.jwksURI, k.assertionIssuer, k.assertionSubject
	if len(c.AssertionSubject) > 1024 || strings.ContainsFunc(c.AssertionSubject, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return errors.New("--assertion-subject must be at most 1024 bytes without control characters")
	}
	var err error
	if c.ExchangeAudiences, err = parseList("exchange-audiences", k.exchangeAudiences, checkAudience); err != nil {
		return err
	}
	exchange := slices.Contains(c.Grants, grantTokenExchange)
	switch {
	case exchange && len(c.ExchangeAudiences) == 0:
		return errors.New("--grants token_exchange needs --exchange-audiences: the audiences the client may exchange tokens for")
	case !exchange && len(c.ExchangeAudiences) > 0:
		return errors.New("--exchange-audiences is for clients with the token_exchange grant")
	case exchange && public:
		return errors.New("a public client cannot exchange tokens")
	}
	return nil
}

// readJWKS reads a client's key set file and returns it as stored: public
// members only, each key with a kid (its RFC 7638 thumbprint if it had
// none) and an alg (that of its type if it had none), checked as the
// server will use it.
func readJWKS(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--jwks: %w", err)
	}
	if len(b) > maxJWKSFile {
		return "", fmt.Errorf("--jwks: %s is larger than %d bytes", path, maxJWKSFile)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return "", fmt.Errorf("--jwks: %s is not a JSON Web Key Set: %v", path, err)
	}
	out := jwks.Set{Keys: []jwks.Key{}}
	for i, raw := range set.Keys {
		k, err := jwks.ParsePublic(raw)
		if err != nil {
			return "", fmt.Errorf("--jwks: key %d: %w", i, err)
		}
		if k.Alg == "" {
			k.Alg = jwks.DefaultAlgorithm(k)
		}
		if k.Kid == "" {
			if k.Kid, err = k.Thumbprint(); err != nil {
				return "", fmt.Errorf("--jwks: key %d: %w", i, err)
			}
		}
		out.Keys = append(out.Keys, k)
	}
	norm, err := json.Marshal(out)
	if err != nil {
		return "", err
	}
	if _, err := jwks.ParseSet(norm); err != nil {
		return "", fmt.Errorf("--jwks: %w", err)
	}
	return string(norm), nil
}

// checkIssuerURL accepts an absolute https URL, or http on a loopback
// host, without query, fragment or credentials.
func checkIssuerURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q is not an absolute URL without query, fragment or credentials", s)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && (u.Hostname() == "localhost" || strings.HasPrefix(u.Hostname(), "127.") || u.Hostname() == "::1"):
		return nil
	}
	return fmt.Errorf("%q must be https (http only on a loopback host)", s)
}

var issuersAddCommand = command{
	name:    "issuers add",
	args:    []string{"URL"},
	summary: "trust an issuer of workload tokens that clients may present as their assertion",
	details: `URL is exactly the "iss" of the issuer's tokens, such as a Kubernetes
cluster's service account issuer or a CI system's OIDC issuer. Its keys are
fetched from --jwks-url, or from the jwks_uri of its OpenID Connect
discovery document (URL/.well-known/openid-configuration). Its tokens are
accepted only with the "aud" --audience, by default this server's issuer
or token endpoint URL: give the platform's token that audience.

A client then uses the issuer with 'clients add ID --assertion-issuer URL
--assertion-subject SUB': a token of that issuer for that subject
authenticates the client, with no secret anywhere.`,
	db: dbExisting,
	setup: func(fs *flag.FlagSet) action {
		jwksURL := fs.String("jwks-url", "", "`URL` of the issuer's key set, when it is not where its discovery document says")
		audience := fs.String("audience", "", "the `audience` (\"aud\") the issuer's tokens must carry (default: this server's issuer or token endpoint URL)")
		return func(ctx context.Context, a *app, args []string) error {
			const cmd = "issuers add"
			i := store.TrustedIssuer{Issuer: args[0], JWKSURL: *jwksURL, Audience: *audience, CreatedAt: a.now()}
			if err := checkIssuerURL(i.Issuer); err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			if i.JWKSURL != "" {
				if err := checkIssuerURL(i.JWKSURL); err != nil {
					return &usageError{cmd: cmd, err: fmt.Errorf("--jwks-url: %w", err)}
				}
			}
			if err := checkAudience(i.Audience); err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			err := a.db.CreateTrustedIssuer(ctx, i)
			if errors.Is(err, store.ErrAlreadyExists) {
				return fmt.Errorf("issuer %q is trusted already", i.Issuer)
			}
			if err != nil {
				return fmt.Errorf("adding issuer %q: %w", i.Issuer, err)
			}
			a.audit(ctx, "trusted issuer added", "issuer", i.Issuer, "jwks_url", i.JWKSURL, "audience", i.Audience)
			fmt.Fprintf(a.stdout, "issuer %q trusted\n", i.Issuer)
			return nil
		}
	},
}

var issuersListCommand = command{
	name:    "issuers list",
	summary: "list the trusted issuers of workload tokens",
	db:      dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, _ []string) error {
			is, err := a.db.ListTrustedIssuers(ctx)
			if err != nil {
				return fmt.Errorf("listing issuers: %w", err)
			}
			t := newTable(a.stdout, "ISSUER", "JWKS URL", "AUDIENCE", "ADDED")
			for _, i := range is {
				jwksURL, aud := i.JWKSURL, i.Audience
				if jwksURL == "" {
					jwksURL = "(discovered)"
				}
				if aud == "" {
					aud = "(this server)"
				}
				t.row(i.Issuer, jwksURL, aud, timestamp(i.CreatedAt))
			}
			return t.flush()
		}
	},
}

var issuersDeleteCommand = command{
	name:    "issuers delete",
	args:    []string{"URL"},
	summary: "stop trusting an issuer: its tokens authenticate no client from now on",
	db:      dbExisting,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, args []string) error {
			err := a.db.DeleteTrustedIssuer(ctx, args[0])
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("issuer %q is not trusted", args[0])
			}
			if err != nil {
				return fmt.Errorf("deleting issuer %q: %w", args[0], err)
			}
			a.audit(ctx, "trusted issuer deleted", "issuer", args[0])
			fmt.Fprintf(a.stdout, "issuer %q no longer trusted\n", args[0])
			return nil
		}
	},
}

var clientsRotateKeysCommand = command{
	name:    "clients rotate-keys",
	args:    []string{"ID"},
	summary: "replace the public keys a client signs its assertions with",
	details: `The client's registered key set (--jwks FILE) or key set URL (--jwks-uri URL)
replaces the one it had, at once: assertions signed by a key no longer in
it are refused. To rotate without a gap, register the old and the new key
together, move the client to the new one, then register the new one alone.
A client that fetches its keys from a URL rotates them there, without this
command (the server fetches them again within five minutes).`,
	db: dbExisting,
	setup: func(fs *flag.FlagSet) action {
		var k clientKeys
		fs.StringVar(&k.jwksFile, "jwks", "", "`file` of the client's new public keys (a JSON Web Key Set)")
		fs.StringVar(&k.jwksURI, "jwks-uri", "", "`URL` of the client's public keys from now on")
		return func(ctx context.Context, a *app, args []string) error {
			const cmd = "clients rotate-keys"
			id := args[0]
			if (k.jwksFile == "") == (k.jwksURI == "") {
				return usagef(cmd, "give one of --jwks and --jwks-uri")
			}
			var next store.Client
			if err := k.apply(&next, false, false); err != nil {
				return &usageError{cmd: cmd, err: err}
			}
			err := a.db.UpdateClient(ctx, id, func(c store.Client) (store.Client, error) {
				if c.JWKS == "" && c.JWKSURI == "" {
					return c, errNoKeys
				}
				c.JWKS, c.JWKSURI, c.UpdatedAt = next.JWKS, next.JWKSURI, a.now()
				return c, nil
			})
			switch {
			case errors.Is(err, errNoKeys):
				return fmt.Errorf("client %q does not authenticate with keys of its own", id)
			case err != nil:
				return clientError(id, "updating", err)
			}
			a.audit(ctx, "client keys replaced", "client_id", id, "jwks_uri", next.JWKSURI)
			fmt.Fprintf(a.stdout, "keys of client %q replaced\n", id)
			return nil
		}
	},
}

var errNoKeys = errors.New("client without keys")
