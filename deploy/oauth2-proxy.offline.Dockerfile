# The demo relying party's image (oauth2-proxy in front of the search API)
# from binaries built on the host, for machines with no container registry:
# nothing is pulled. `make images` builds them and runs
#
#   docker build -f deploy/oauth2-proxy.offline.Dockerfile -t fastsafe/oauth2-proxy:local bin/image/oauth2-proxy
#
# with a context holding oauth2-proxy (deploy/scripts/build-oauth2-proxy.sh),
# the healthcheck command and the two configuration files of
# deploy/oauth2-proxy/. deploy/oauth2-proxy.Dockerfile builds the same image
# from source.

# No CA certificates: oauth2-proxy reaches the auth server over the internal
# http address. To reach it over https, mount a CA bundle at
# /etc/ssl/certs/ca-certificates.crt.
FROM scratch
COPY oauth2-proxy /usr/local/bin/oauth2-proxy
COPY healthcheck /usr/local/bin/healthcheck
COPY oauth2-proxy.cfg alpha-config.yaml /etc/oauth2-proxy/
USER 65532:65532
EXPOSE 4180
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/healthcheck", "http://127.0.0.1:4180/ping"]
ENTRYPOINT ["/usr/local/bin/oauth2-proxy"]
CMD ["--config=/etc/oauth2-proxy/oauth2-proxy.cfg", "--alpha-config=/etc/oauth2-proxy/alpha-config.yaml"]
