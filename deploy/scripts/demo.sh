#!/usr/bin/env bash
# `demo.sh up` starts docker-compose.yml in the background from the images
# `make images` built, and returns once every service is healthy;
# `demo.sh down` stops it and removes its containers and volumes.
# Run them as `make demo` and `make down`.
set -euo pipefail
# shellcheck source=deploy/scripts/lib.sh
source "$(dirname "$0")/lib.sh"

need_docker
case "${1:-}" in
up)
  for image in "${IMAGES[@]}"; do
    docker image inspect "$image" >/dev/null 2>&1 || die "image $image is missing; run 'make images'"
  done
  log "starting docker-compose.yml"
  # --no-build: never fall back to the source build, which needs a registry.
  compose_within 180 up -d --no-build || die "'compose up' failed or took over 180s"
  wait_healthy 120 authserver resourceserver oauth2-proxy
  load_demo_env
  cat <<MSG

fastsafe is up: the authorization server on http://localhost:9096, the search
API on http://localhost:8000 (try http://localhost:8000/docs), and a web
application that signs people in with it, oauth2-proxy in front of the API:
open http://localhost:4180/search?query=apple and sign in as $DEMO_USER /
$DEMO_PASSWORD. Or get a token as the demo user and search with it:

  TOKEN=\$(curl -s -u $DEMO_CLIENT_ID:$DEMO_CLIENT_SECRET -d grant_type=password -d username=$DEMO_USER -d password=$DEMO_PASSWORD http://localhost:9096/token | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  curl -s -H "Authorization: Bearer \$TOKEN" 'http://localhost:8000/search?query=apple'

Stop it, and delete its data, with: make down
MSG
  ;;
down)
  log "stopping docker-compose.yml and removing its volumes"
  compose_within 120 down -v --remove-orphans
  ;;
*)
  die "usage: $0 up|down"
  ;;
esac
