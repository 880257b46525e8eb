// Command resourceserver serves the fastsafe search API, which accepts only
// bearer tokens signed by the authorization server's published keys.
// Run "resourceserver --help" for its flags.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/fastsafe/fastsafe/resourceserver/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
