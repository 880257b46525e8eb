#!/usr/bin/env bash
# make bench: for each signing algorithm, start a fresh authorization
# server (a temporary SQLite database, a user and clients added through its
# command line) and two resource servers trusting it, one with the token
# cache and one without, all on loopback; run bin/loadtest against them;
# stop the servers. Then write docs/performance.md and docs/performance.svg
# from the measurements of every algorithm. Bounded: a few minutes per
# algorithm.
#
# Settings (environment): BIN (bin/), RUNS (3), PHASE (3s), SUSTAIN (20s),
# SIGNING_ALG (unset: RS256, ES256 and EdDSA in turn; set: that one),
# BCRYPT_COST (10), OUT (docs/performance.md), SUITES (a temporary
# directory: where each algorithm's measurements are saved, as JSON; a
# directory given is kept, and "bin/loadtest -combine FILE,... -notes
# e2e/bench/profile.md -out docs/performance.md" rewrites the report from
# them). The latency probes, the
# service-to-service phases and the sustained run (memory) run with the
# first algorithm only.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BIN:-$root/bin}
runs=${RUNS:-3}
phase=${PHASE:-3s}
sustain=${SUSTAIN:-20s}
algs=${SIGNING_ALG:-RS256 ES256 EdDSA}
cost=${BCRYPT_COST:-10}
out=${OUT:-$root/docs/performance.md}
cache_size=1000

for b in authserver resourceserver loadtest; do
	[ -x "$bin/$b" ] || { echo "run.sh: $bin/$b missing; run make bench" >&2; exit 1; }
done

tmp=$(mktemp -d)
source "$root/e2e/bench/lib.sh"
cleanup() {
	stop_servers
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$(dirname "$out")"
suites=${SUITES:-$tmp}
mkdir -p "$suites"
saved=()
signin_redirect=http://127.0.0.1/bench-signin/callback
first_alg=${algs%% *}
for alg in $algs; do
	echo "== $alg"
	dir=$tmp/$alg
	mkdir -p "$dir"
	auth_port=$(free_port 19096)
	rs_port=$(free_port 18000)
	rs2_port=$(free_port $((rs_port + 1)))
	auth_url=http://127.0.0.1:$auth_port
	# The authorization server. Its logs go to files, as a deployed server's
	# would go somewhere. The load comes from one address and one client, so
	# the per-address and per-client lockouts, made for attackers spread over
	# many requests, are off; the per-account lockout stays on.
	export AUTH_ADDR=127.0.0.1:$auth_port AUTH_ISSUER=$auth_url AUTH_DB=$dir/auth.db
	export AUTH_SIGNING_ALG=$alg AUTH_BCRYPT_COST=$cost
	export AUTH_ADDRESS_MAX_FAILURES=0 AUTH_CLIENT_MAX_FAILURES=0
	password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
	"$bin/authserver" migrate >/dev/null 2>&1
	printf '%s\n' "$password" | "$bin/authserver" users add bencher --scopes search >/dev/null
	secret=$("$bin/authserver" clients add bench --grants password,client_credentials,refresh_token --scopes search --audience search-api | tail -n 1)
	# Service to service: a client with no secret, its Ed25519 key made by the
	# load generator (private_key_jwt), and a client that exchanges the
	# benchmark user's tokens.
	"$bin/loadtest" -keygen "$dir/bench-pkjwt"
	"$bin/authserver" clients add bench-pkjwt --grants client_credentials --scopes search --audience search-api --jwks "$dir/bench-pkjwt.jwks" >/dev/null
	exchange_secret=$("$bin/authserver" clients add bench-exchange --grants password,token_exchange --scopes search --audience search-api --exchange-audiences search-api | tail -n 1)
	# The sign-in flow: a first-party public client (PKCE, no consent page).
	"$bin/authserver" clients add bench-signin --public --grants authorization_code --scopes search --audience search-api \
		--redirect-uris "$signin_redirect" --skip-consent >/dev/null
	"$bin/authserver" serve >"$dir/auth.log" 2>&1 &
	auth_pid=$!
	pids+=("$auth_pid")

	start_rs() { # port cache-size
		RS_ADDR=127.0.0.1:$1 RS_ISSUER=$auth_url RS_PUBLIC_URL=http://127.0.0.1:$1 RS_TOKEN_CACHE_SIZE=$2 \
			"$bin/resourceserver" >"$dir/rs-$1.log" 2>&1 &
		pids+=("$!")
	}
	start_rs "$rs_port" "$cache_size"
	rs_pid=$!
	start_rs "$rs2_port" 0
	rs2_pid=$!

	setup="- Servers: \`bin/authserver\` (SQLite in a temporary directory, $alg keys, bcrypt cost $cost, \`--bcrypt-concurrency ${AUTH_BCRYPT_CONCURRENCY:-0}\` (0: one per core), logs at info level to a file, per-address and per-client lockouts off because all the load comes from one address and one client) and two \`bin/resourceserver\` trusting it, \`--token-cache-size $cache_size\` and \`--token-cache-size 0\`, logs at info level to files; every process with the default GOMAXPROCS."
	first=()
	if [ "$alg" != "$first_alg" ]; then
		first=(-latency=false -sustain 0)
	else
		first=(-sustain "$sustain" -pkjwt-client bench-pkjwt -pkjwt-key "$dir/bench-pkjwt.key" -exchange-client bench-exchange)
	fi
	LOADTEST_CLIENT_SECRET=$secret LOADTEST_PASSWORD=$password LOADTEST_EXCHANGE_SECRET=$exchange_secret "$bin/loadtest" \
		-auth "$auth_url" -rs "http://127.0.0.1:$rs_port" -rs-nocache "http://127.0.0.1:$rs2_port" \
		-client-id bench -username bencher -signing-alg "$alg" -bcrypt-cost "$cost" \
		-signin-client bench-signin -signin-redirect "$signin_redirect" "${first[@]}" \
		-runs "$runs" -phase "$phase" \
		-auth-pid "$auth_pid" -rs-pid "$rs_pid" -rs-nocache-pid "$rs2_pid" \
		-setup "$setup" -save "$suites/$alg.json"
	stop_servers
	saved+=("$suites/$alg.json")
done
combined=$(IFS=,; echo "${saved[*]}")
"$bin/loadtest" -combine "$combined" -notes "$root/e2e/bench/profile.md" -out "$out"
echo "wrote $out"
