# The authorization server image, built from source. This is what
# `make up` and `docker compose up --build` use; it needs the Go image
# (GO_IMAGE: Docker Hub's golang:1.26 or a mirror's) and the Go module proxy
# (GOPROXY). It uses only instructions the classic builder, docker-compose
# v1's, knows: no BuildKit cache mount. Its layers are ordered instead: a
# change to no .go file, go.mod or go.sum (a README, a deploy file) builds
# nothing, and a change to a .go file that imports nothing new compiles
# the workspace's packages again, but downloads and compiles no other
# module.
# Without any registry, `make images` builds the same final stage from a
# binary compiled on the host: deploy/authserver.offline.Dockerfile.
#
#   docker build -f deploy/authserver.Dockerfile -t fastsafe/authserver:local .

ARG GO_IMAGE=golang:1.26
FROM ${GO_IMAGE} AS modules
# The module proxy: a mirror's, for builds behind one.
ARG GOPROXY=https://proxy.golang.org,direct
# Static binaries: no cgo, for every go command below alike.
ENV CGO_ENABLED=0
WORKDIR /src
# The modules first, alone in their layers, so that only a change to a
# go.mod or go.sum downloads them again. Every module of go.work is named,
# as the workspace needs each one's go.mod; deploy/authserver.Dockerfile
# and deploy/resourceserver.Dockerfile share these lines, so that the two
# builds share the layers (the end-to-end test checks that they do).
COPY go.work go.work.sum ./
COPY authserver/go.mod authserver/go.sum authserver/
COPY e2e/go.mod e2e/go.sum e2e/
COPY internal/go.mod internal/go.sum internal/
COPY pkg/go.mod pkg/go.sum pkg/
COPY pkg/ginbearer/go.mod pkg/ginbearer/go.sum pkg/ginbearer/
COPY resourceserver/go.mod resourceserver/go.sum resourceserver/
# The modules the servers' go.mod files require, at the workspace's
# versions: those the build reads and the few their tests add, about 90 MB
# from the proxy. (A bare `go mod download` would fetch those of every
# module's tests too.)
RUN go mod download $(awk '$1 == "require" && $2 != "(" {print $2} /^\t/ && $2 ~ /^v[0-9]/ {print $1}' \
      authserver/go.mod internal/go.mod pkg/go.mod pkg/ginbearer/go.mod resourceserver/go.mod \
    | grep -v '^github.com/fastsafe/' | sort -u)
# Then the source of the shared modules, and nothing else.
COPY internal/ internal/
COPY pkg/ pkg/

# The packages of other modules the binary imports, listed from its source.
# This stage runs again on every change to the source, in seconds; its list
# changes only with the imports.
FROM modules AS imports
COPY authserver/ authserver/
RUN go list -deps -tags nomsgpack -f '{{if and .Module (not .Module.Main)}}{{.ImportPath}}{{end}}' ./authserver >/imports

# Those packages compiled in a layer of their own, into the Go build cache,
# which the classic builder keeps in no other way: after a change to the
# source alone, only the workspace's packages are compiled again.
FROM modules AS build
COPY --from=imports /imports /imports
RUN go build -trimpath -tags nomsgpack $(cat /imports)
COPY authserver/ authserver/
# The flags of `make image-bins`: static, stripped, built from the workspace.
RUN go build -trimpath -tags nomsgpack -ldflags='-s -w' -o /out/authserver ./authserver \
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
