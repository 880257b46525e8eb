// Command authserver is the fastsafe OAuth2 authorization server and the
// tool that administers its database. Run "authserver help" for usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/fastsafe/fastsafe/authserver/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal starts a graceful shutdown; stop restores the
	// default handling, so that a second one ends the process at once.
	context.AfterFunc(ctx, stop)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
