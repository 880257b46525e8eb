# The demo relying party's image, built from source: oauth2-proxy in front of
# the search API, signing people in with fastsafe. This is what `make up`
# and `docker compose up --build` use; it needs the Go image (GO_IMAGE) and
# the Go module proxy (GOPROXY) for oauth2-proxy. Without any registry,
# `make images` builds the same final stage from binaries compiled on the
# host: deploy/oauth2-proxy.offline.Dockerfile.
#
#   docker build -f deploy/oauth2-proxy.Dockerfile -t fastsafe/oauth2-proxy:local .

ARG GO_IMAGE=golang:1.26
FROM ${GO_IMAGE} AS build
# The module proxy: a mirror's, for builds behind one.
ARG GOPROXY=https://proxy.golang.org,direct
WORKDIR /src
# oauth2-proxy first, from its script alone, so that a change elsewhere in
# the repository does not build it again.
COPY deploy/scripts/build-oauth2-proxy.sh deploy/scripts/
RUN deploy/scripts/build-oauth2-proxy.sh /out
# Then the healthcheck command, from the internal module alone: it imports
# only the standard library, so no module is downloaded for it. The flags of
# `make image-bins`: static, stripped.
COPY pkg/go.mod pkg/go.sum pkg/
COPY internal/ internal/
RUN cd internal \
 && GOWORK=off CGO_ENABLED=0 go build -trimpath -tags nomsgpack -ldflags='-s -w' -o /out/healthcheck ./cmd/healthcheck
COPY deploy/oauth2-proxy/oauth2-proxy.cfg deploy/oauth2-proxy/alpha-config.yaml /out/

# The final stage is the same in deploy/oauth2-proxy.offline.Dockerfile, but
# for where the files come from; the end-to-end test checks that it is.
# No CA certificates: oauth2-proxy reaches the auth server over the internal
# http address. To reach it over https, mount a CA bundle at
# /etc/ssl/certs/ca-certificates.crt.
FROM scratch
COPY --from=build /out/oauth2-proxy /usr/local/bin/oauth2-proxy
COPY --from=build /out/healthcheck /usr/local/bin/healthcheck
COPY --from=build /out/oauth2-proxy.cfg /out/alpha-config.yaml /etc/oauth2-proxy/
USER 65532:65532
EXPOSE 4180
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/healthcheck", "http://127.0.0.1:4180/ping"]
ENTRYPOINT ["/usr/local/bin/oauth2-proxy"]
CMD ["--config=/etc/oauth2-proxy/oauth2-proxy.cfg", "--alpha-config=/etc/oauth2-proxy/alpha-config.yaml"]
