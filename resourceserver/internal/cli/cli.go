package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fastsafe/fastsafe/internal/tracesdk"
	"github.com/fastsafe/fastsafe/resourceserver/internal/config"
)

const name = "resourceserver"

const usageHead = `Usage:
  resourceserver [flags]               serve the search API
  resourceserver healthcheck [flags]   GET /healthz on --addr: exit 0 if it answers 200, else 1

The search API answers GET /search?query=Q for bearer tokens of the
authorization server --issuer that are meant for --audience and carry the
scope "search". Its documentation is at /docs and /openapi.json.

A token whose signing key is not cached while the key set cannot be fetched
gets 503 with Retry-After (never 401); no request waits for the key set
longer than --jwks-wait. On SIGHUP the server fetches the key set at once
(after 'authserver keys revoke'). On SIGTERM it answers /readyz with 503 and
goes on serving for --shutdown-drain, then stops within --shutdown-timeout.

Every flag can also be set by the environment variable named after it
(--addr ↔ RS_ADDR); a flag on the command line wins over its variable.

With OTEL_EXPORTER_OTLP_ENDPOINT set (and the other standard OTEL_*
variables), it sends the spans of its requests over OTLP/HTTP, as service
fastsafe-resourceserver unless OTEL_SERVICE_NAME says otherwise; without
it, it traces nothing.

Flags:
`

// Run runs the command with args (without the program name), reading the
// environment with getenv, and returns the exit status: 0 on success, 1 on
// failure, 2 for a usage or configuration error. It serves until ctx ends
// and then shuts down gracefully.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	healthcheck := len(args) > 0 && args[0] == "healthcheck"
	if healthcheck {
		args = args[1:]
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned and printed below
	cfg, err := config.Load(fs, args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usageHead)
		config.PrintFlags(stdout, fs)
		return 0
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err == nil {
		err = cfg.Validate()
	}
	if !healthcheck {
		if _, terr := tracesdk.Read(getenv); terr != nil {
			err = errors.Join(err, terr)
		}
	}
	if err != nil {
		for line := range strings.SplitSeq(err.Error(), "\n") {
			fmt.Fprintf(stderr, "%s: %s\n", name, line)
		}
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", name)
		return 2
	}

	if healthcheck {
		if err := probe(ctx, cfg.Addr); err != nil {
			fmt.Fprintf(stderr, "%s: healthcheck: %v\n", name, err)
			return 1
		}
		return 0
	}

	logger := cfg.Logger(stderr)
	tr, err := tracesdk.Start(ctx, ServiceName, getenv, logger)
	if err != nil {
		logger.Error("resource server not started", "error", err)
		return 1
	}
	defer tr.Stop(ctx)
	if err := serve(ctx, cfg, nil, logger, time.Now, tr.TracerProvider()); err != nil {
		logger.Error("resource server stopped", "error", err)
		return 1
	}
	return 0
}

// ServiceName is the service.name of the server's spans, unless
// OTEL_SERVICE_NAME gives another.
const ServiceName = "fastsafe-resourceserver"
