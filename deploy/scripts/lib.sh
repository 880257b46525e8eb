# shellcheck shell=bash
# Shared by the deploy scripts: finding docker compose, building the images
# without a registry, and waiting for health. Source it from bash with
# `set -euo pipefail`; it changes to the repository root.

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1

# The images docker-compose.yml runs.
AUTH_IMAGE=fastsafe/authserver:local
RS_IMAGE=fastsafe/resourceserver:local
RP_IMAGE=fastsafe/oauth2-proxy:local # the demo relying party
IMAGES=("$AUTH_IMAGE" "$RS_IMAGE" "$RP_IMAGE")
# The largest image allowed, in bytes: the servers' (about 26 and 32 MB, of
# which 3.5 MB are the OpenTelemetry SDK and its OTLP exporter), and
# oauth2-proxy's (a binary we do not build lean).
MAX_IMAGE_BYTES=$((35 * 1000 * 1000))
MAX_RP_IMAGE_BYTES=$((40 * 1000 * 1000))

die() {
  echo "ERROR: $*" >&2
  exit 1
}

log() {
  echo "--- $*"
}

# need_docker fails unless docker and Docker Compose are installed and the
# daemon answers. It sets COMPOSE to the Compose command: the
# `docker compose` plugin (Compose v2) if there is one, else the
# docker-compose program (Compose v1, which has no `up --wait`).
need_docker() {
  command -v docker >/dev/null 2>&1 || die "docker is not installed; it is required"
  timeout 30 docker info >/dev/null 2>&1 || die "the docker daemon does not answer (is it running, and may this user use it?)"
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  else
    die "neither 'docker compose' nor 'docker-compose' is installed; one is required"
  fi
}

# compose_v2 succeeds if COMPOSE is the docker compose plugin.
compose_v2() {
  [[ "${COMPOSE[*]}" == "docker compose" ]]
}

# compose runs Docker Compose on docker-compose.yml.
compose() {
  "${COMPOSE[@]}" -f docker-compose.yml "$@"
}

# compose_within SECONDS ARGS... runs compose, killing it after SECONDS.
compose_within() {
  timeout "$1" "${COMPOSE[@]}" -f docker-compose.yml "${@:2}"
}

# build_images builds the three images from bin/image (make image-bins) with
# the offline Dockerfiles: FROM scratch, so nothing is pulled.
build_images() {
  local file
  for file in authserver/authserver authserver/data resourceserver/resourceserver \
    oauth2-proxy/oauth2-proxy oauth2-proxy/healthcheck oauth2-proxy/oauth2-proxy.cfg oauth2-proxy/alpha-config.yaml; do
    [[ -e "bin/image/$file" ]] || die "bin/image/$file is missing; run 'make image-bins'"
  done
  log "building ${IMAGES[*]} (offline: FROM scratch, nothing pulled)"
  timeout 300 docker build --pull=false -q -f deploy/authserver.offline.Dockerfile -t "$AUTH_IMAGE" bin/image/authserver >/dev/null
  timeout 300 docker build --pull=false -q -f deploy/resourceserver.offline.Dockerfile -t "$RS_IMAGE" bin/image/resourceserver >/dev/null
  timeout 300 docker build --pull=false -q -f deploy/oauth2-proxy.offline.Dockerfile -t "$RP_IMAGE" bin/image/oauth2-proxy >/dev/null
  check_image_sizes
}

# check_image_sizes prints the size of the images and fails if one is as
# large as its limit or larger.
check_image_sizes() {
  local image size limit
  for image in "${IMAGES[@]}"; do
    limit=$MAX_IMAGE_BYTES
    [[ "$image" != "$RP_IMAGE" ]] || limit=$MAX_RP_IMAGE_BYTES
    size=$(docker image inspect -f '{{.Size}}' "$image")
    printf -- '--- image %-32s %6.1f MB (%d bytes)\n' "$image" "$(awk "BEGIN{print $size/1000000}")" "$size"
    ((size < limit)) || die "image $image is $size bytes, not under $limit"
  done
}

# load_demo_env sets the DEMO_* variables of .env, the demo credentials, as
# compose reads them: from the environment if set there, else from .env.
load_demo_env() {
  local line name
  while IFS= read -r line; do
    [[ "$line" =~ ^(DEMO_[A-Z_]+)=(.*)$ ]] || continue
    name=${BASH_REMATCH[1]}
    [[ -n "${!name:-}" ]] || printf -v "$name" '%s' "${BASH_REMATCH[2]}"
    export "${name?}"
  done <.env
}

# health prints the health status of a compose service's container:
# starting, healthy or unhealthy while it runs; restarting, exited or dead
# once its process has ended; "absent" if it has no container.
health() {
  local id
  id=$(compose ps -q "$1" 2>/dev/null || true)
  if [[ -z "$id" ]]; then
    echo absent
    return
  fi
  docker inspect -f '{{if ne .State.Status "running"}}{{.State.Status}}{{else if .State.Health}}{{.State.Health.Status}}{{else}}running{{end}}' "$id" 2>/dev/null || echo absent
}

# wait_healthy SECONDS SERVICE... waits until every service is healthy, at
# most SECONDS in all, and fails with the failing service's logs as soon as
# one is unhealthy or its process has ended, or when the time is up.
wait_healthy() {
  local limit=$1 service status
  shift
  local start=$SECONDS deadline=$((SECONDS + limit))
  for service in "$@"; do
    while :; do
      status=$(health "$service")
      [[ "$status" == healthy ]] && break
      if ((SECONDS >= deadline)) || [[ "$status" =~ ^(unhealthy|restarting|exited|dead)$ ]]; then
        compose ps >&2 || true
        compose logs --no-color --tail=50 "$service" >&2 || true
        die "$service is $status, not healthy, $((SECONDS - start))s after the start (at most ${limit}s)"
      fi
      sleep 1
    done
  done
}
