# The authorization server image, built from source. This is what
# `docker compose up --build` uses; it needs Docker Hub for the Go image.
# Without any registry, `make images` builds the same final stage from a
# binary compiled on the host: deploy/authserver.offline.Dockerfile.
#
#   docker build -f deploy/authserver.Dockerfile -t fastsafe/authserver:local .

ARG GO_IMAGE=golang:1.26
FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY . .
# The flags of `make image-bins`: static, stripped, built from the workspace.
RUN CGO_ENABLED=0 go build -trimpath -tags nomsgpack -ldflags='-s -w' -o /out/authserver ./authserver \
 && mkdir /out/data

# The final stage is the same in deploy/authserver.offline.Dockerfile, but
# for where the files come from; the end-to-end test checks that it is.
FROM scratch
COPY --from=build /out/authserver /usr/local/bin/authserver
# The database and its keys live in /data, owned by the server's user: a new
# named volume mounted there takes this ownership.
COPY --from=build --chown=65532:65532 /out/data/ /data/
USER 65532:65532
WORKDIR /data
VOLUME /data
ENV AUTH_DB=/data/authserver.db
EXPOSE 9096
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/authserver", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/authserver"]
CMD ["serve"]
