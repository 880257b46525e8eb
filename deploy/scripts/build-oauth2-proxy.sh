#!/usr/bin/env bash
# build-oauth2-proxy.sh DIR: builds DIR/oauth2-proxy, the demo relying party,
# from the Go module proxy (github.com/oauth2-proxy/oauth2-proxy/v7 at
# OAUTH2_PROXY_VERSION): static and stripped, for the GOOS and GOARCH of the
# environment, as the images are. A DIR/oauth2-proxy that already reports
# this version is kept, so a second run takes no time.
#
# Used by `make image-bins` (the image, offline), deploy/oauth2-proxy.Dockerfile
# (the image, from source) and the end-to-end test of oauth2-proxy in the e2e
# module, which must not import oauth2-proxy's packages.
set -euo pipefail

OAUTH2_PROXY_VERSION=${OAUTH2_PROXY_VERSION:-v7.15.6}
MODULE=github.com/oauth2-proxy/oauth2-proxy/v7
GO=${GO:-go}

(($# == 1)) || {
  echo "usage: $0 DIR" >&2
  exit 2
}
mkdir -p "$1"
out=$(cd "$1" && pwd)/oauth2-proxy

if [[ -x "$out" ]] && [[ "$("$out" --version 2>/dev/null)" == "oauth2-proxy $OAUTH2_PROXY_VERSION "* ]]; then
  exit 0
fi
# The module's source, from the module cache or the module proxy. It is
# built in its own directory, with its own go.mod and go.sum, outside any
# workspace: a cross build (GOOS=linux elsewhere) can name its output, which
# `go install` cannot.
dir=$("$GO" mod download -json "$MODULE@$OAUTH2_PROXY_VERSION" | sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')
[[ -n "$dir" && -f "$dir/go.mod" ]] || {
  echo "$0: go mod download found no source of $MODULE@$OAUTH2_PROXY_VERSION" >&2
  exit 1
}
# Built to a temporary name and renamed, so that a build that fails or
# runs at the same time as another never leaves half a binary.
tmp="$out.$$.tmp"
trap 'rm -f "$tmp"' EXIT
(cd "$dir" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 "$GO" build -trimpath \
  -ldflags "-s -w -X $MODULE/pkg/version.VERSION=$OAUTH2_PROXY_VERSION" -o "$tmp" .)
mv -f "$tmp" "$out"
