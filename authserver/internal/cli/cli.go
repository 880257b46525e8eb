package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
	"github.com/fastsafe/fastsafe/authserver/internal/store"
	"github.com/fastsafe/fastsafe/authserver/internal/store/backend"
	"github.com/fastsafe/fastsafe/authserver/internal/store/sqlstore"
)

// Exit statuses of Main.
const (
	ExitOK      = 0 // the command succeeded
	ExitFailure = 1 // the command failed: bad input on stdin, a database or network error, a failed health check
	ExitUsage   = 2 // the command line or the settings are wrong
)

const progName = "authserver"

// dbMode says what a command needs of the database.
type dbMode int

const (
	// dbNone: the command does not touch the database, and only checks the
	// settings it uses itself.
	dbNone dbMode = iota
	// dbExisting: the command works on an existing database; a missing
	// file is an error rather than a new, empty database.
	dbExisting
	// dbCreate: the command creates the database if it is missing.
	dbCreate
	// dbServe: as dbCreate with --create-db, as dbExisting without: a
	// server never replaces a lost database with a new, empty one unless
	// told to.
	dbServe
)

// action runs a command once its flags are parsed, the settings validated
// and, if it needs one, the database opened. args are the positional
// arguments, as many as the command declares.
type action func(ctx context.Context, a *app, args []string) error

// command is one subcommand of authserver.
type command struct {
	name    string   // "users add"
	args    []string // names of the positional arguments, such as "NAME"
	summary string   // one line for the command list
	details string   // paragraphs for the command's own help; may be empty
	db      dbMode
	// setup defines the command's own flags (not the settings) on fs and
	// returns the action, which reads them.
	setup func(fs *flag.FlagSet) action
}

func (c command) synopsis() string {
	return strings.TrimSpace(progName + " " + c.name + " " + strings.Join(c.args, " "))
}

// commands lists every command in the order help shows them.
var commands = []command{
	serveCommand,
	migrateCommand,
	usersAddCommand,
	usersListCommand,
	usersDisableCommand,
	usersEnableCommand,
	usersPasswdCommand,
	usersDeleteCommand,
	usersConsentsCommand,
	usersRevokeConsentCommand,
	clientsAddCommand,
	clientsListCommand,
	clientsDeleteCommand,
	clientsRotateSecretCommand,
	registrationTokensAddCommand,
	registrationTokensListCommand,
	registrationTokensDeleteCommand,
	clientsRotateKeysCommand,
	issuersAddCommand,
	issuersListCommand,
	issuersDeleteCommand,
	keysListCommand,
	keysRotateCommand,
	keysRevokeCommand,
	backupCommand,
	healthcheckCommand,
}

// groups are the commands that take a subcommand.
var groups = []string{"users", "clients", "registration-tokens", "issuers", "keys"}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func isGroup(name string) bool { return slices.Contains(groups, name) }

// subcommands returns the names of a group's subcommands ("add", "list", …).
func subcommands(group string) []string {
	var names []string
	for _, c := range commands {
		if sub, ok := strings.CutPrefix(c.name, group+" "); ok {
			names = append(names, sub)
		}
	}
	return names
}

// app is one run of Main: its streams, its settings and, for commands that
// need it, the open database.
type app struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time
	whoami func() string // the operating-system user, for audit lines

	cfg config.Config
	log *slog.Logger
	db  backend.Store
}

// Main runs the authserver command line and returns its exit status:
// ExitOK, ExitFailure or ExitUsage. args are the arguments without the
// program name (os.Args[1:]); getenv reads the environment (os.Getenv).
// Cancelling ctx stops the server, or aborts an administration command.
//
// Errors go to stderr in plain words, prefixed with "authserver: ". Neither
// errors nor logs ever contain a password or secret.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, now: time.Now, whoami: osUser}
	return a.exit(a.run(ctx, args))
}

// usageError is a mistake on the command line or in the settings.
type usageError struct {
	cmd string // the command whose help explains it; "" for the top level
	err error
}

func (e *usageError) Error() string {
	if e.cmd == "" {
		return e.err.Error()
	}
	return e.cmd + ": " + e.err.Error()
}

func (e *usageError) Unwrap() error { return e.err }

func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, err: fmt.Errorf(format, args...)}
}

// settingsError lists every problem Config.Validate found, one per line.
type settingsError struct{ err error }

func (e settingsError) Error() string {
	return "invalid settings:\n  " + strings.ReplaceAll(e.err.Error(), "\n", "\n  ")
}

func (e settingsError) Unwrap() error { return e.err }

// exit prints err, if any, and returns the exit status it calls for.
func (a *app) exit(err error) int {
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(a.stderr, "%s: %v\n", progName, err)
	var ue *usageError
	if errors.As(err, &ue) {
		hint := progName + " help"
		if ue.cmd != "" {
			hint = progName + " " + ue.cmd + " -h"
		}
		fmt.Fprintf(a.stderr, "Run '%s' for usage.\n", hint)
		return ExitUsage
	}
	return ExitFailure
}

// isHelpFlag reports whether arg asks for help the way the flag package
// understands it: -h, --h, -help or --help.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

func (a *app) run(ctx context.Context, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && isHelpFlag(args[0]) {
			printHelp(a.stdout)
			return nil
		}
		serve, _ := findCommand("serve")
		return a.runCommand(ctx, serve, args)
	}
	if args[0] == "help" {
		return a.help(args[1:])
	}
	if isGroup(args[0]) {
		group := args[0]
		if len(args) == 1 {
			return usagef(group, "missing command; want one of: %s", strings.Join(subcommands(group), ", "))
		}
		if isHelpFlag(args[1]) {
			printGroupHelp(a.stdout, group)
			return nil
		}
		c, ok := findCommand(group + " " + args[1])
		if !ok {
			return usagef(group, "unknown command %q; want one of: %s", args[1], strings.Join(subcommands(group), ", "))
		}
		return a.runCommand(ctx, c, args[2:])
	}
	c, ok := findCommand(args[0])
	if !ok {
		return usagef("", "unknown command %q", args[0])
	}
	return a.runCommand(ctx, c, args[1:])
}

// help prints the help of the command named by args, or the overview.
func (a *app) help(args []string) error {
	switch {
	case len(args) == 0:
		printHelp(a.stdout)
		return nil
	case len(args) == 1 && isGroup(args[0]):
		printGroupHelp(a.stdout, args[0])
		return nil
	}
	c, ok := findCommand(strings.Join(args, " "))
	if !ok {
		return usagef("", "help: unknown command %q", strings.Join(args, " "))
	}
	printCommandHelp(a.stdout, c)
	return nil
}

// runCommand parses args for c, reads the settings, opens the database if c
// needs it and runs c.
func (a *app) runCommand(ctx context.Context, c command, args []string) (err error) {
	fs := flag.NewFlagSet(progName+" "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned and printed once, by exit
	a.cfg = config.Defaults()
	config.Register(fs, &a.cfg)
	act := c.setup(fs)

	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandHelp(a.stdout, c)
		return nil
	}
	if err != nil {
		return &usageError{cmd: c.name, err: err}
	}
	if err := config.ApplyEnv(fs, a.getenv); err != nil {
		return &usageError{cmd: c.name, err: err}
	}
	if err := checkArgs(c, pos); err != nil {
		return err
	}

	if c.db != dbNone {
		if err := a.cfg.Validate(); err != nil {
			return &usageError{err: settingsError{err}}
		}
		a.log = a.cfg.Logger(a.stderr)
		if err := a.openDB(ctx, c.db); err != nil {
			return err
		}
		defer func() {
			if cerr := a.db.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("closing database: %w", cerr)
			}
		}()
	}
	return act(ctx, a, pos)
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments, as in "users add bob --email b@example.com".
// A "--" ends the flags: every argument after it is positional, so a name
// that begins with a dash can be given as "users delete -- -bob".
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func checkArgs(c command, pos []string) error {
	if len(pos) < len(c.args) {
		return usagef(c.name, "missing %s", strings.Join(c.args[len(pos):], " "))
	}
	if len(pos) > len(c.args) {
		extra := pos[len(c.args)]
		if _, isCmd := findCommand(extra); c.name == "serve" && (isCmd || isGroup(extra) || extra == "help") {
			return usagef(c.name, "unexpected argument %q; the command comes first, as in '%s %s ... --db FILE'", extra, progName, extra)
		}
		return usagef(c.name, "unexpected argument %q", extra)
	}
	return nil
}

// openDB opens the database in a.cfg.DB: a SQLite file, or a PostgreSQL
// database for a postgres:// URL. For dbExisting, and dbServe without
// --create-db, a missing database (a SQLite file that does not exist or is
// empty, a PostgreSQL schema without tables) is an error: a mistyped --db
// must not silently create an empty database and add a user to it, and a
// server must not start on an empty database in place of a lost one, with
// new keys that invalidate every token and no client or user. Messages
// show the URL without its password, and name the cause in words.
func (a *app) openDB(ctx context.Context, mode dbMode) error {
	var opts []sqlstore.Option
	if mode == dbExisting || (mode == dbServe && !a.cfg.CreateDB) {
		opts = append(opts, sqlstore.WithExisting())
	}
	db, err := backend.Open(ctx, a.cfg.DB, a.log, a.now, opts...)
	switch {
	case errors.Is(err, store.ErrMissing) && mode == dbServe:
		return fmt.Errorf("%w.\n"+
			"  If this is the first start, create it with '%s migrate', or start with --create-db (env %s=true).\n"+
			"  If it existed, it was lost: restore it from a backup (docs/operations.md) rather than start on an empty\n"+
			"  database, whose new keys and lack of clients and users would refuse every token and client there is",
			err, progName, config.EnvName("create-db"))
	case errors.Is(err, store.ErrMissing):
		return fmt.Errorf("database %q does not exist (%w); check --db (env %s), or create it with '%s migrate'",
			backend.Redact(a.cfg.DB), err, config.EnvName("db"), progName)
	case err != nil:
		return fmt.Errorf("opening database %q: %w", backend.Redact(a.cfg.DB), err)
	}
	a.db = db
	return nil
}
