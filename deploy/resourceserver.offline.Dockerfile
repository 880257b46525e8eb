# The resource server (search API) image from a binary built on the host,
# for machines with no container registry: nothing is pulled. `make images`
# builds the binary and runs
#
#   docker build -f deploy/resourceserver.offline.Dockerfile -t fastsafe/resourceserver:local bin/image/resourceserver
#
# deploy/resourceserver.Dockerfile builds the same image from source.

# No CA certificates: the key set is fetched over the internal http address
# (RS_JWKS_URL). To fetch it over https, mount a CA bundle at
# /etc/ssl/certs/ca-certificates.crt.
FROM scratch
COPY resourceserver /usr/local/bin/resourceserver
USER 65532:65532
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/resourceserver", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/resourceserver"]
