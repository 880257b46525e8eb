#!/usr/bin/env bash
# `demo.sh up` starts docker-compose.yml in the background from the images
# `make images` built, and returns once every service is healthy;
# `demo.sh up --build` builds the images from source first (the Go image and
# the Go module proxy are needed); `demo.sh down` stops it and removes its
# containers and volumes. Run them as `make demo`, `make up` and `make down`.
#
# Either Compose works: the docker compose plugin (v2) starts with
# `up --wait`; docker-compose (v1), which has no --wait, starts with `up -d`,
# and the script then waits until every service's container reports
# healthy. Either way it fails, with the failing service's logs, if one is
# not healthy within UP_TIMEOUT seconds (120) of the start.
set -euo pipefail
# shellcheck source=deploy/scripts/lib.sh
source "$(dirname "$0")/lib.sh"

SERVICES=(authserver resourceserver oauth2-proxy)
UP_TIMEOUT=${UP_TIMEOUT:-120}

need_docker
case "${1:-} ${2:-}" in
"up --build")
  log "building the images from source with ${COMPOSE[*]} (the first build takes minutes)"
  # Built apart from `up`, which is then bounded: a cold build is not.
  compose build || die "the build failed; with no access to Docker Hub's golang image, 'make demo' builds the images here instead"
  ;;
"up ")
  for image in "${IMAGES[@]}"; do
    docker image inspect "$image" >/dev/null 2>&1 || die "image $image is missing; run 'make images'"
  done
  ;;
"down ")
  log "stopping docker-compose.yml and removing its volumes"
  compose_within 120 down -v --remove-orphans
  exit 0
  ;;
*)
  die "usage: $0 up [--build] | down"
  ;;
esac

log "starting docker-compose.yml with ${COMPOSE[*]}"
# --no-build: the images are built; never fall back to a source build here.
# Where `up` fails (a service it waits for is not healthy), wait_healthy
# names that service and shows its logs.
up=(up -d --no-build)
compose_v2 && up+=(--wait)
up_failed=
compose_within $((UP_TIMEOUT + 60)) "${up[@]}" || up_failed=1
wait_healthy "$UP_TIMEOUT" "${SERVICES[@]}"
[[ -z "$up_failed" ]] || die "'${COMPOSE[*]} ${up[*]}' failed"
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
