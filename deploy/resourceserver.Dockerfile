# The resource server (search API) image, built from source. This is what
# `docker compose up --build` uses; it needs Docker Hub for the Go image.
# Without any registry, `make images` builds the same final stage from a
# binary compiled on the host: deploy/resourceserver.offline.Dockerfile.
#
#   docker build -f deploy/resourceserver.Dockerfile -t fastsafe/resourceserver:local .

ARG GO_IMAGE=golang:1.26
FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY . .
# The flags of `make image-bins`: static, stripped, built from the workspace,
# and without Gin's msgpack codec, which the API does not speak.
RUN CGO_ENABLED=0 go build -trimpath -tags nomsgpack -ldflags='-s -w' -o /out/resourceserver ./resourceserver

# The final stage is the same in deploy/resourceserver.offline.Dockerfile,
# but for where the files come from; the end-to-end test checks that it is.
# No CA certificates: the key set is fetched over the internal http address
# (RS_JWKS_URL). To fetch it over https, mount a CA bundle at
# /etc/ssl/certs/ca-certificates.crt.
FROM scratch
COPY --from=build /out/resourceserver /usr/local/bin/resourceserver
USER 65532:65532
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/resourceserver", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/resourceserver"]
