// Command healthcheck exits 0 if a URL answers GET with 200 OK within 3
// seconds, and 1 otherwise, saying why on standard error. It is the
// HEALTHCHECK of container images whose server cannot check itself, such
// as the demo's oauth2-proxy on scratch, where there is no shell or curl:
//
//	healthcheck http://127.0.0.1:4180/ping
package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/fastsafe/fastsafe/internal/healthcheck"
)

// timeout bounds the whole check.
const timeout = 3 * time.Second

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stderr))
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: healthcheck URL")
		return 2
	}
	if u, err := url.Parse(args[0]); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "healthcheck: %q is not an http(s) URL\n", args[0])
		return 2
	}
	if err := healthcheck.Get(ctx, args[0], timeout); err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 1
	}
	return 0
}
