package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/backend"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, time.Now)
	stop()
	os.Exit(code)
}

// options are the command's flags.
type options struct {
	db                           string
	users, clients, tokens       int
	cost                         int
	userFmt, clientFmt, tokenFmt string
	password, secret             string
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, now func() time.Time) int {
	var o options
	fs := flag.NewFlagSet("benchseed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.db, "db", "", "`path` of the SQLite database file, or a postgres:// URL")
	fs.IntVar(&o.users, "users", 10, "users to add")
	fs.IntVar(&o.clients, "clients", 10, "clients to add")
	fs.IntVar(&o.tokens, "tokens", 0, "refresh-token families to add, each with one unused token")
	fs.IntVar(&o.cost, "bcrypt-cost", 10, "bcrypt `cost` of the users' one password hash")
	fs.StringVar(&o.userFmt, "user-format", "seed-user-%07d", "Printf `format` of user i's name")
	fs.StringVar(&o.clientFmt, "client-format", "seed-client-%06d", "Printf `format` of client i's ID")
	fs.StringVar(&o.tokenFmt, "token-format", "seed-refresh-%07d", "Printf `format` of refresh token i's value")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.password, o.secret = getenv("BENCHSEED_PASSWORD"), getenv("BENCHSEED_CLIENT_SECRET")
	if err := o.check(); err != nil {
		fmt.Fprintln(stderr, "benchseed:", err)
		return 2
	}
	if err := seed(ctx, o, stdout, now); err != nil {
		fmt.Fprintln(stderr, "benchseed:", err)
		return 1
	}
	return 0
}

func (o options) check() error {
	var errs []error
	if o.db == "" {
		errs = append(errs, errors.New("-db is required"))
	}
	if o.users < 1 || o.clients < 1 || o.tokens < 0 {
		errs = append(errs, errors.New("-users and -clients must be at least 1, -tokens at least 0"))
	}
	if o.password == "" {
		errs = append(errs, errors.New("BENCHSEED_PASSWORD must be set"))
	}
	if err := secret.Validate(o.secret); err != nil {
		errs = append(errs, fmt.Errorf("BENCHSEED_CLIENT_SECRET: %w", err))
	}
	return errors.Join(errs...)
}

// seeder is what seed needs of the store.
type seeder interface {
	SeedUsers(ctx context.Context, n int, user func(i int) store.User) error
	SeedClients(ctx context.Context, n int, client func(i int) store.Client) error
	SeedRefreshTokens(ctx context.Context, n int, grant func(i int) (store.RefreshFamily, store.RefreshToken)) error
}

func seed(ctx context.Context, o options, stdout io.Writer, now func() time.Time) error {
	logger := slog.New(slog.DiscardHandler)
	st, err := backend.Open(ctx, o.db, logger, now)
	if err != nil {
		return err
	}
	defer st.Close()
	s, ok := st.(seeder)
	if !ok {
		return errors.New("the store cannot seed")
	}
	h, err := password.NewHasher(o.cost, 1)
	if err != nil {
		return err
	}
	hash, err := h.Hash(ctx, o.password) // one hash, shared by every user
	if err != nil {
		return err
	}
	at := now().UTC()
	name := func(i int) string { return fmt.Sprintf(o.userFmt, i) }
	id := func(i int) string { return fmt.Sprintf(o.clientFmt, i) }
	scopes, audience := []string{"search"}, []string{"search-api"}
	step := func(what string, n int, f func() error) error {
		start := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		fmt.Fprintf(stdout, "seeded %d %s in %s\n", n, what, time.Since(start).Round(time.Millisecond))
		return nil
	}
	if err := step("users", o.users, func() error {
		return s.SeedUsers(ctx, o.users, func(i int) store.User {
			return store.User{Username: name(i), PasswordHash: hash, Scopes: scopes, CreatedAt: at, UpdatedAt: at}
		})
	}); err != nil {
		return err
	}
	secretHash := secret.Hash(o.secret)
	grants := []string{"password", "client_credentials", "refresh_token"}
	if err := step("clients", o.clients, func() error {
		return s.SeedClients(ctx, o.clients, func(i int) store.Client {
			return store.Client{ID: id(i), SecretHash: secretHash, Grants: grants, Scopes: scopes,
				Audience: audience, CreatedAt: at, UpdatedAt: at}
		})
	}); err != nil {
		return err
	}
	return step("refresh tokens", o.tokens, func() error {
		return s.SeedRefreshTokens(ctx, o.tokens, func(i int) (store.RefreshFamily, store.RefreshToken) {
			f := store.RefreshFamily{ID: fmt.Sprintf("seed-family-%07d", i), ClientID: id(i % o.clients),
				Subject: name(i % o.users), CreatedAt: at, ExpiresAt: at.Add(30 * 24 * time.Hour)}
			return f, store.RefreshToken{ID: store.RefreshTokenID(fmt.Sprintf(o.tokenFmt, i)), FamilyID: f.ID,
				Scopes: scopes, Audience: audience, CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour)}
		})
	})
}
