#!/usr/bin/env bash
# End-to-end test of docker-compose.yml, run by .ci/run: builds the three
# images with no registry, starts them with Docker Compose, and talks to them
# from outside the containers, over loopback only:
#
#   - the images: under 35 MB (40 MB for oauth2-proxy), a numeric non-root
#     user, no shell, an exec-form HEALTHCHECK, and the same final stage as
#     the source build, whose two servers' Dockerfiles copy every module of
#     go.work and share their module layers;
#   - the start of make demo and make up (deploy/scripts/demo.sh) with the
#     Compose installed: a service that cannot start fails it at once, with
#     its logs; then every service is healthy when it returns;
#   - a token for the demo user of .env, checked field by field, accepted by
#     /search through the published port; the README's curl lines, verbatim;
#   - the confidential client's client_credentials grant, the public docs
#     client's password and refresh grants, and CORS for the docs origin;
#   - the demo relying party, oauth2-proxy: healthy, its /oauth2/start sends
#     the browser to the auth server's /authorize with PKCE, and a person
#     signs in as a browser would (curl with a cookie jar: the sign-in form,
#     the consent form, the redirects) and lands on the API's answer, which
#     oauth2-proxy got with the person's access token;
#   - restarting the auth server: the earlier token still works, new ones
#     are issued and signed with the same key;
#   - stopping the auth server: /search still accepts the token, with the
#     key it cached;
#   - `down` and `up` again: users, clients and keys are kept, so the earlier
#     token still verifies, and the demo data does not overwrite a changed
#     password;
#   - `down -v` removes the volume.
#
# It fails, rather than skips, if Docker is missing. It needs the host ports
# 9096, 8000 and 4180 free. It ends with one line: "E2E PASS ..." or "E2E FAIL ...".
set -euo pipefail
# shellcheck source=deploy/scripts/lib.sh
source "$(dirname "$0")/lib.sh"

# A project of its own, so that the test never touches the demo's volume.
export COMPOSE_PROJECT_NAME=fastsafe-e2e
AUTH=http://127.0.0.1:9096
API=http://127.0.0.1:8000
ISSUER=http://localhost:9096
# The demo relying party, at the address of its registered redirect URI, so
# that its cookies come back to its callback.
RP=http://localhost:4180
START=$SECONDS
STEP="starting"
TMP=$(mktemp -d)

step() {
  STEP=$*
  echo "=== $*"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

teardown() {
  compose_within 120 down -v --remove-orphans >/dev/null 2>&1 || true
}

finish() {
  local status=$?
  if ((status != 0)); then
    if [[ -n "${COMPOSE[*]:-}" ]]; then
      echo "--- logs" >&2
      compose_within 30 logs --no-color --tail=40 >&2 2>&1 || true
      teardown
    fi
    rm -rf "$TMP"
    echo "E2E FAIL at: $STEP (after $((SECONDS - START))s)"
    exit "$status"
  fi
  rm -rf "$TMP"
}
trap finish EXIT

load_demo_env

# --- HTTP and JSON helpers -------------------------------------------------

# request OUT ARGS...: runs curl with ARGS (bounded, loopback), writes the
# body to the file OUT, and prints the status code; 000 if nothing answered.
request() {
  local out=$1
  shift
  curl -sS --noproxy '*' --connect-timeout 5 --max-time 15 -o "$out" -w '%{http_code}' "$@" 2>/dev/null || true
}

# json_str FIELD FILE: the string value of "FIELD" in a flat JSON object.
json_str() {
  sed -nE 's/.*"'"$1"'":"([^"]*)".*/\1/p' "$2"
}

# json_raw FIELD FILE: the number or boolean value of "FIELD".
json_raw() {
  sed -nE 's/.*"'"$1"'":([0-9a-z.]+).*/\1/p' "$2"
}

# jwt_part N TOKEN: the decoded header (1) or claims (2) of a JWT.
jwt_part() {
  local part
  part=$(cut -d. -f"$1" <<<"$2" | tr '_-' '/+')
  while ((${#part} % 4)); do part+="="; done
  base64 -d <<<"$part"
}

# expect_eq WHAT GOT WANT
expect_eq() {
  [[ "$2" == "$3" ]] || fail "$1: got '$2', want '$3'"
}

# token FILE ARGS...: POSTs ARGS to /token, expects 200, and checks the
# response of RFC 6749 §5.1 and the access token's claims. FILE gets the
# response; the access token is printed.
token() {
  local file=$1 code
  shift
  code=$(request "$file" "$@" "$AUTH/token")
  [[ "$code" == 200 ]] || fail "POST /token $*: status $code: $(cat "$file")"
  local at claims
  at=$(json_str access_token "$file")
  [[ "$at" =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]] || fail "access_token is not a JWT: $(cat "$file")"
  expect_eq token_type "$(json_str token_type "$file")" Bearer
  expect_eq expires_in "$(json_raw expires_in "$file")" 1800
  expect_eq scope "$(json_str scope "$file")" search
  claims=$(jwt_part 2 "$at")
  expect_eq "iss claim" "$(json_str iss <(echo "$claims"))" "$ISSUER"
  grep -q '"aud":\(\["search-api"\]\|"search-api"\)' <<<"$claims" || fail "aud claim is not search-api: $claims"
  expect_eq "typ header" "$(json_str typ <(jwt_part 1 "$at"))" at+jwt
  echo "$at"
}

# claim NAME TOKEN: a string claim of the token.
claim() {
  json_str "$1" <(jwt_part 2 "$2")
}

# kid TOKEN: the key ID in the token's header.
kid() {
  json_str kid <(jwt_part 1 "$1")
}

# password_login USER PASSWORD FILE: the confidential client's password grant.
password_login() {
  token "$3" -u "$DEMO_CLIENT_ID:$DEMO_CLIENT_SECRET" -d grant_type=password \
    --data-urlencode "username=$1" --data-urlencode "password=$2"
}

# search TOKEN: expects /search?query=apple to find apple with the token.
search() {
  local code
  code=$(request "$TMP/search" -H "Authorization: Bearer $1" "$API/search?query=apple")
  [[ "$code" == 200 ]] || fail "GET /search: status $code: $(cat "$TMP/search")"
  expect_eq "/search body" "$(cat "$TMP/search")" '{"message":"found apple in search"}'
}

# introspect TOKEN: prints "active" of the auth server's introspection.
introspect() {
  local code
  code=$(request "$TMP/introspect" -u "$DEMO_CLIENT_ID:$DEMO_CLIENT_SECRET" --data-urlencode "token=$1" "$AUTH/introspect")
  [[ "$code" == 200 ]] || fail "POST /introspect: status $code"
  json_raw active "$TMP/introspect"
}

# container SERVICE: the ID of the service's container.
container() {
  local id
  id=$(compose ps -q "$1")
  [[ -n "$id" ]] || fail "service $1 has no container"
  echo "$id"
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# --- the test ------------------------------------------------------------

step "docker and compose are installed"
need_docker
echo "compose: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || echo "version unknown"))"
command -v curl >/dev/null || die "curl is not installed; it is required"
teardown # what a killed earlier run may have left
for port in 9096 8000 4180; do
  port_free "$port" || die "port $port on 127.0.0.1 is in use; stop what uses it (the demo: make down)"
done

step "the source and offline Dockerfiles have the same final stage"
# final_stage FILE: the lines of a Dockerfile from its last FROM on, without
# comments and blank lines.
final_stage() {
  awk '/^FROM /{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$1" | grep -v -e '^#' -e '^$'
}
for name in authserver resourceserver oauth2-proxy; do
  diff <(final_stage "deploy/$name.Dockerfile" | sed -e 's#--from=build ##' -e 's#/out/##g') \
    <(final_stage "deploy/$name.offline.Dockerfile") ||
    fail "the final stages of deploy/$name.Dockerfile and deploy/$name.offline.Dockerfile differ"
done

step "the source Dockerfiles name every module of go.work, and share their module layers"
# module_lines FILE: the lines of a source Dockerfile's first stage, without
# comments: the Go image, the module files, the download, the shared source.
module_lines() {
  awk '/^FROM modules AS imports/{exit} /^ARG GO_IMAGE/{on=1} on && !/^#/' "$1"
}
diff <(module_lines deploy/authserver.Dockerfile) <(module_lines deploy/resourceserver.Dockerfile) ||
  fail "deploy/authserver.Dockerfile and deploy/resourceserver.Dockerfile differ before the binary's source: they would not share the module download"
for module in $(sed -nE 's#^[[:space:]]*\./([^[:space:]]+)$#\1#p' go.work); do
  grep -qx "COPY $module/go.mod $module/go.sum $module/" deploy/authserver.Dockerfile ||
    fail "deploy/authserver.Dockerfile does not copy the go.mod and go.sum of the module $module of go.work"
  grep -qx -e "!$module" -e "!$module/go.mod" -e "!${module%%/*}" .dockerignore ||
    fail ".dockerignore leaves out the module $module of go.work"
done

step "build the images without a registry"
t0=$SECONDS
make -s image-bins
build_images
echo "images built in $((SECONDS - t0))s"

step "the images run as a numeric non-root user, with no shell, and check their own health"
# image_files IMAGE: the listing of the image's files.
image_files() {
  local id
  id=$(docker create "$1")
  docker export "$id" | tar -tvf -
  docker rm -v "$id" >/dev/null
}
for name in authserver resourceserver; do
  image="fastsafe/$name:local"
  expect_eq "$image user" "$(docker image inspect -f '{{.Config.User}}' "$image")" 65532:65532
  expect_eq "$image healthcheck" "$(docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$image")" \
    "[\"CMD\",\"/usr/local/bin/$name\",\"healthcheck\"]"
  files="$TMP/files-$name"
  image_files "$image" >"$files"
  ! grep -Eq ' (bin/sh|bin/bash|bin/busybox|usr/bin/.*)$' "$files" || fail "$image has a shell"
  # The only non-empty file is the binary (docker adds empty /etc files).
  expect_eq "$image files" "$(awk '$1 ~ /^-/ && $3 > 0 {print $NF}' "$files")" "usr/local/bin/$name"
done
grep -Eq '^d[rwx-]+ 65532/65532 .* data/?$' "$TMP/files-authserver" ||
  fail "/data of the auth server image is not owned by 65532: $(grep data "$TMP/files-authserver")"
expect_eq "$RP_IMAGE user" "$(docker image inspect -f '{{.Config.User}}' "$RP_IMAGE")" 65532:65532
expect_eq "$RP_IMAGE healthcheck" "$(docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$RP_IMAGE")" \
  '["CMD","/usr/local/bin/healthcheck","http://127.0.0.1:4180/ping"]'
image_files "$RP_IMAGE" >"$TMP/files-oauth2-proxy"
! grep -Eq ' (bin/sh|bin/bash|bin/busybox|usr/bin/.*)$' "$TMP/files-oauth2-proxy" || fail "$RP_IMAGE has a shell"
expect_eq "$RP_IMAGE files" "$(awk '$1 ~ /^-/ && $3 > 0 {print $NF}' "$TMP/files-oauth2-proxy" | sort | tr '\n' ' ')" \
  "etc/oauth2-proxy/alpha-config.yaml etc/oauth2-proxy/oauth2-proxy.cfg usr/local/bin/healthcheck usr/local/bin/oauth2-proxy "

step "make demo's start: a service that fails is reported with its logs, at once"
# The start of `make demo` and `make up` (deploy/scripts/demo.sh), with the
# Compose of this machine: an auth server that cannot start must fail it,
# with its logs, well before UP_TIMEOUT, rather than wait or succeed.
t0=$SECONDS
if AUTH_SIGNING_ALG=none UP_TIMEOUT=100 deploy/scripts/demo.sh up >"$TMP/up-fail" 2>&1; then
  fail "demo.sh up succeeded with an auth server that cannot start: $(cat "$TMP/up-fail")"
fi
grep -q 'ERROR: authserver is \(exited\|restarting\|unhealthy\), not healthy' "$TMP/up-fail" ||
  fail "demo.sh up did not name the failing service: $(cat "$TMP/up-fail")"
grep -q 'signing-alg "none" is not one of' "$TMP/up-fail" || fail "demo.sh up did not show the auth server's logs: $(cat "$TMP/up-fail")"
((SECONDS - t0 < 90)) || fail "demo.sh up took $((SECONDS - t0))s to report the failure"
echo "the failure was reported in $((SECONDS - t0))s"
teardown

step "make demo's start: docker compose up, and wait until every service is healthy"
t0=$SECONDS
deploy/scripts/demo.sh up >"$TMP/up" 2>&1 || fail "demo.sh up failed: $(cat "$TMP/up")"
grep -q '^fastsafe is up' "$TMP/up" || fail "demo.sh up did not say that fastsafe is up: $(cat "$TMP/up")"
for service in authserver resourceserver oauth2-proxy; do
  expect_eq "health of $service after demo.sh up" "$(health "$service")" healthy
done
echo "healthy ${SECONDS}s after the start, $((SECONDS - t0))s after up"
volume=$(docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" | grep authdata || true)
[[ -n "$volume" ]] || fail "no authdata volume"

step "a token for the demo user, from outside the containers"
TOKEN1=$(password_login "$DEMO_USER" "$DEMO_PASSWORD" "$TMP/token1")
[[ -n "$(json_str refresh_token "$TMP/token1")" ]] || fail "no refresh_token: $(cat "$TMP/token1")"
expect_eq "sub claim" "$(claim sub "$TOKEN1")" "$DEMO_USER"
expect_eq "client_id claim" "$(claim client_id "$TOKEN1")" "$DEMO_CLIENT_ID"
KID=$(kid "$TOKEN1")
[[ -n "$KID" ]] || fail "the token has no kid"

step "/search through the published port"
search "$TOKEN1"
code=$(request "$TMP/noauth" "$API/search?query=apple")
expect_eq "/search without a token" "$code" 401
code=$(request "$TMP/bad" -H "Authorization: Bearer ${TOKEN1}x" "$API/search?query=apple")
expect_eq "/search with a tampered token" "$code" 401

step "the README's curl lines, verbatim"
block=$(awk '/<!-- e2e: readme-curl -->/{on=1; next} on && /^```/{if (started) exit; started=1; next} on && started' README.md)
[[ "$block" == *"curl"* ]] || fail "README.md has no block after <!-- e2e: readme-curl -->"
out=$(timeout 60 bash -c "$block")
expect_eq "README curl output" "$out" '{"message":"found apple in search"}'

step "client_credentials for the confidential client"
TOKEN_CC=$(token "$TMP/cc" -u "$DEMO_CLIENT_ID:$DEMO_CLIENT_SECRET" -d grant_type=client_credentials)
expect_eq "client_credentials sub" "$(claim sub "$TOKEN_CC")" "$DEMO_CLIENT_ID"
[[ -z "$(json_str refresh_token "$TMP/cc")" ]] || fail "client_credentials returned a refresh token"
search "$TOKEN_CC"

step "the public docs client: password and refresh grants, CORS for the docs origin"
token "$TMP/docs" -d grant_type=password -d "client_id=$DEMO_DOCS_CLIENT_ID" \
  --data-urlencode "username=$DEMO_USER" --data-urlencode "password=$DEMO_PASSWORD" >/dev/null
REFRESH=$(json_str refresh_token "$TMP/docs")
[[ -n "$REFRESH" ]] || fail "the docs client got no refresh token"
TOKEN_R=$(token "$TMP/refreshed" -d grant_type=refresh_token -d "client_id=$DEMO_DOCS_CLIENT_ID" --data-urlencode "refresh_token=$REFRESH")
search "$TOKEN_R"
curl -sS --noproxy '*' --max-time 10 -o /dev/null -D "$TMP/cors" -X OPTIONS -H 'Origin: http://localhost:8000' \
  -H 'Access-Control-Request-Method: POST' "$AUTH/token"
grep -qi '^access-control-allow-origin: http://localhost:8000' "$TMP/cors" || fail "no CORS for the docs origin: $(cat "$TMP/cors")"

step "the demo data: the docs client signs people in without consent, the relying party with"
clients=$(timeout 30 docker exec "$(container authserver)" authserver clients list)
grep -Eq "^$DEMO_DOCS_CLIENT_ID +public +authorization_code,password,refresh_token .* skipped +http://localhost:8000/docs/oauth2-redirect.html" <<<"$clients" ||
  fail "the docs client is not registered for the /docs page's sign-in: $clients"
grep -Eq "^$DEMO_RP_CLIENT_ID +confidential +authorization_code,refresh_token +openid,profile,email,search +search-api +Search demo \(oauth2-proxy\) +asked +$RP/oauth2/callback" <<<"$clients" ||
  fail "the relying party's client is not registered: $clients"

step "oauth2-proxy sends the browser to the auth server's /authorize with PKCE"
t0=$SECONDS
code=$(request "$TMP/start" -D "$TMP/start-headers" "$RP/oauth2/start?rd=%2Fsearch%3Fquery%3Dapple")
expect_eq "GET /oauth2/start" "$code" 302
location=$(sed -nE 's/^[Ll]ocation: ([^[:space:]]+).*/\1/p' "$TMP/start-headers")
[[ "$location" == "$ISSUER/authorize?"* ]] || fail "oauth2-proxy redirects to '$location', not to $ISSUER/authorize"
for param in response_type=code "client_id=$DEMO_RP_CLIENT_ID" code_challenge_method=S256 'code_challenge=[A-Za-z0-9_-]{43}(&|$)' \
  'redirect_uri=http%3A%2F%2Flocalhost%3A4180%2Foauth2%2Fcallback' 'scope=openid\+profile\+search' 'nonce=' 'state='; do
  [[ "$location" =~ [?\&]$param ]] || fail "the authorization request lacks $param: $location"
done

# form_field NAME FILE: the value of the form's field NAME, as the browser
# sends it: html/template writes & as &amp; and + as &#43; in attributes.
form_field() {
  sed -nE 's/.*name="'"$1"'" value="([^"]*)".*/\1/p' "$2" | head -1 |
    sed -e 's/&#43;/+/g' -e "s/&#39;/'/g" -e 's/&#34;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
}

# form_action FILE: where the page's form posts to.
form_action() {
  sed -nE 's/.*<form method="post" action="([^"]*)".*/\1/p' "$1" | head -1
}

step "sign in through oauth2-proxy as a browser does: sign-in form, consent form, the API's answer"
JAR="$TMP/cookies"
# browse OUT ARGS...: request with the cookie jar, following redirects;
# prints the status and the last URL.
browse() {
  local out=$1
  shift
  curl -sS --noproxy '*' --connect-timeout 5 --max-time 15 -L --max-redirs 10 -b "$JAR" -c "$JAR" \
    -o "$out" -w '%{http_code} %{url_effective}' "$@" 2>/dev/null || true
}
got=$(browse "$TMP/signin" "$RP/search?query=apple")
[[ "$got" == "200 $ISSUER/authorize?"* ]] || fail "GET $RP/search did not end on the sign-in page: $got"
grep -q 'Search demo (oauth2-proxy)' "$TMP/signin" || fail "the sign-in page does not name the application: $(cat "$TMP/signin")"
got=$(browse "$TMP/consent" --data-urlencode "csrf_token=$(form_field csrf_token "$TMP/signin")" \
  --data-urlencode "request=$(form_field request "$TMP/signin")" \
  --data-urlencode "username=$DEMO_USER" --data-urlencode "password=$DEMO_PASSWORD" "$(form_action "$TMP/signin")")
[[ "$got" == "200 "* ]] && grep -q 'Search on your behalf' "$TMP/consent" ||
  fail "signing in did not lead to the consent page ($got): $(cat "$TMP/consent")"
got=$(browse "$TMP/answer" --data-urlencode "csrf_token=$(form_field csrf_token "$TMP/consent")" \
  --data-urlencode "request=$(form_field request "$TMP/consent")" -d decision=allow "$(form_action "$TMP/consent")")
expect_eq "after consent" "$got" "200 $RP/search?query=apple"
expect_eq "the API's answer through oauth2-proxy" "$(cat "$TMP/answer")" '{"message":"found apple in search"}'
# Signed in: the next request goes straight through.
got=$(browse "$TMP/again" "$RP/search?query=pear")
expect_eq "a second request" "$got" "200 $RP/search?query=pear"
expect_eq "its answer" "$(cat "$TMP/again")" '{"message":"pear not found in search"}'
# The API saw the person's access token, issued to oauth2-proxy's client.
compose_within 30 logs --no-color resourceserver >"$TMP/rs-logs" 2>&1
grep -q "path=/search .*status=200 .*client_id=$DEMO_RP_CLIENT_ID sub=$DEMO_USER" "$TMP/rs-logs" ||
  fail "the API logged no search with the relying party's token: $(grep path=/search "$TMP/rs-logs")"
echo "signed in through oauth2-proxy in $((SECONDS - t0))s"

step "restart the auth server: the earlier token still works, new ones are issued"
compose_within 60 restart authserver
wait_healthy 60 authserver
search "$TOKEN1"
expect_eq "introspection of the earlier token" "$(introspect "$TOKEN1")" true
TOKEN2=$(password_login "$DEMO_USER" "$DEMO_PASSWORD" "$TMP/token2")
expect_eq "key of a token issued after the restart" "$(kid "$TOKEN2")" "$KID"
search "$TOKEN2"

step "stop the auth server: /search still accepts the token with the cached key"
compose_within 60 stop authserver
code=$(request "$TMP/down" -d grant_type=client_credentials -u "$DEMO_CLIENT_ID:$DEMO_CLIENT_SECRET" "$AUTH/token")
expect_eq "/token with the auth server stopped" "$code" 000
search "$TOKEN1"
compose_within 60 start authserver
wait_healthy 60 authserver

step "down and up: users, clients and keys are kept"
compose_within 120 down
docker volume inspect "$volume" >/dev/null 2>&1 || fail "down removed the volume $volume"
compose_within 180 up -d --no-build
wait_healthy 120 authserver resourceserver oauth2-proxy
# The resource server starts with no keys: it must fetch the kept key.
search "$TOKEN1"
expect_eq "introspection of the earlier user token" "$(introspect "$TOKEN1")" true
expect_eq "introspection of the earlier client token" "$(introspect "$TOKEN_CC")" true
TOKEN3=$(password_login "$DEMO_USER" "$DEMO_PASSWORD" "$TMP/token3")
expect_eq "key after down and up" "$(kid "$TOKEN3")" "$KID"
search "$TOKEN3"

step "the demo data is created once: a changed password stays changed"
printf 'a-changed-password\n' | timeout 30 docker exec -i "$(container authserver)" authserver users passwd "$DEMO_USER" >/dev/null
compose_within 60 restart authserver
wait_healthy 60 authserver
code=$(request "$TMP/old" -u "$DEMO_CLIENT_ID:$DEMO_CLIENT_SECRET" -d grant_type=password \
  --data-urlencode "username=$DEMO_USER" --data-urlencode "password=$DEMO_PASSWORD" "$AUTH/token")
expect_eq "login with the password of .env after it was changed" "$code" 400
expect_eq "error" "$(json_str error "$TMP/old")" invalid_grant
search "$(password_login "$DEMO_USER" a-changed-password "$TMP/token4")"
compose_within 30 logs --no-color authserver >"$TMP/logs" 2>&1
grep -q "created by an earlier start" "$TMP/logs" || fail "the auth server did not report the demo data as already created"
! grep -qF -e "$DEMO_PASSWORD" -e "$DEMO_CLIENT_SECRET" -e "$DEMO_RP_CLIENT_SECRET" "$TMP/logs" ||
  fail "the auth server logged the demo password or a secret"

step "down -v removes containers and the volume"
compose_within 120 down -v --remove-orphans
! docker volume inspect "$volume" >/dev/null 2>&1 || fail "down -v left the volume $volume"
[[ -z "$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")" ]] || fail "containers are left"

echo "E2E PASS: docker compose with the three images, in $((SECONDS - START))s"
