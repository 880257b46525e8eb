# The authorization server image from a binary built on the host, for
# machines with no container registry: nothing is pulled. `make images`
# builds the binary and runs
#
#   docker build -f deploy/authserver.offline.Dockerfile -t fastsafe/authserver:local bin/image/authserver
#
# with a context holding the static binary and an empty data/ directory.
# deploy/authserver.Dockerfile builds the same image from source.

FROM scratch
COPY authserver /usr/local/bin/authserver
# The database and its keys live in /data, owned by the server's user: a new
# named volume mounted there takes this ownership.
COPY --chown=65532:65532 data/ /data/
USER 65532:65532
WORKDIR /data
VOLUME /data
ENV AUTH_DB=/data/authserver.db
EXPOSE 9096
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/authserver", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/authserver"]
CMD ["serve"]
