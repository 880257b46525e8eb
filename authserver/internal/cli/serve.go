package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/fastsafe/fastsafe/authserver/internal/server"
	"github.com/fastsafe/fastsafe/authserver/internal/store/backend"
	"github.com/fastsafe/fastsafe/internal/tracesdk"
)

var serveCommand = command{
	name:    "serve",
	summary: "run the authorization server (the default command)",
	details: `Upgrades the database's schema, then serves on --addr until interrupted
(SIGINT or SIGTERM). A database that does not exist (or holds no schema) is
created only with --create-db; without it serve refuses to start, so that a
lost database is restored from a backup rather than replaced by an empty one
whose new keys would refuse every token. 'migrate' creates one too. It then answers /readyz
with 503 but goes on serving for --shutdown-drain, so that load balancers
stop sending it requests, stops accepting connections, and waits up to
--shutdown-timeout for the requests in flight. Logs go to standard error.

With --key-rotation set it replaces the signing key by itself when the
active key is that old, as 'keys rotate' does; of several servers sharing a
database, one does.

The first time it runs on a database with --bootstrap-user,
--bootstrap-client-id or --bootstrap-docs-client-id set, it creates that
user and those clients before serving; never again, so later changes to
them are kept.

With OTEL_EXPORTER_OTLP_ENDPOINT set (and the other standard OTEL_*
variables), it sends the spans of its requests over OTLP/HTTP, as
service fastsafe-authserver unless OTEL_SERVICE_NAME says otherwise;
without it, it traces nothing.`,
	db: dbServe,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, _ []string) error {
			tr, err := tracesdk.Start(ctx, ServiceName, a.getenv, a.log)
			if err != nil {
				return &usageError{err: settingsError{err}}
			}
			defer tr.Stop(ctx)
			if err := a.bootstrap(ctx); err != nil {
				return err
			}
			return server.Run(ctx, a.cfg, a.db, a.log, server.WithTracerProvider(tr.TracerProvider()))
		}
	},
}

// ServiceName is the service.name of the server's spans, unless
// OTEL_SERVICE_NAME gives another.
const ServiceName = "fastsafe-authserver"

var migrateCommand = command{
	name:    "migrate",
	summary: "create or upgrade the database, and print its schema version",
	db:      dbCreate,
	setup: func(*flag.FlagSet) action {
		return func(ctx context.Context, a *app, _ []string) error {
			// Opening the database has migrated it.
			v, err := a.db.SchemaVersion(ctx)
			if err != nil {
				return fmt.Errorf("reading the schema version: %w", err)
			}
			fmt.Fprintf(a.stdout, "database %q is at schema version %d\n", backend.Redact(a.cfg.DB), v)
			return nil
		}
	},
}
