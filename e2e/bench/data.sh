#!/usr/bin/env bash
# make bench, after run.sh: the data-growth goals. Seeds a small and a big
# database with bin/benchseed (SQLite files, and PostgreSQL databases in a
# throwaway cluster of this script's own, on another port, with
# pg_stat_statements loaded), runs an authorization server on each, and
# appends to OUT (docs/performance.md) what bin/benchdata measures:
# latency with the small and the big database, and the database's size over
# a sustained run of refresh-heavy load with short token lifetimes. Then
# e2e/bench/roundtrips.sh counts the statements of each grant on
# PostgreSQL and writes docs/scaling.md's tables. Bounded: a few minutes
# besides seeding.
#
# Settings (environment): BIN (bin/), OUT (docs/performance.md),
# DATA_USERS (1000000), DATA_CLIENTS (100000), DATA_TOKENS (1000000): the
# big database; DATA_RUNS (5), DATA_PHASE (4s), DATA_SUSTAIN (120s),
# BCRYPT_COST (10), PG_BIN (/usr/lib/postgresql/15/bin), DATA_STEPS
# ("latency sustain roundtrips": which parts to run), RT_REQUESTS (200) and
# RT_PGBENCH_TIME (10) for roundtrips.sh, SCALING (docs/scaling.md). A
# smaller scale for a quick try: DATA_USERS=10000 DATA_CLIENTS=1000
# DATA_TOKENS=10000.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BIN:-$root/bin}
out=${OUT:-$root/docs/performance.md}
users=${DATA_USERS:-1000000}
clients=${DATA_CLIENTS:-100000}
tokens=${DATA_TOKENS:-1000000}
runs=${DATA_RUNS:-5}
phase=${DATA_PHASE:-4s}
sustain=${DATA_SUSTAIN:-120s}
cost=${BCRYPT_COST:-10}
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
small_tokens=10000 # enough for every refresh and revocation of the runs, with the middle half left for introspection

[ -x "$bin/authserver" ] || { echo "data.sh: $bin/authserver missing; run make bench" >&2; exit 1; }
(cd "$root" && ${GO:-go} build -trimpath -o "$bin/benchseed" ./authserver/internal/cmd/benchseed &&
	${GO:-go} build -trimpath -o "$bin/benchdata" ./e2e/bench/cmd/benchdata)

tmp=$(mktemp -d)
chmod 755 "$tmp"
source "$root/e2e/bench/lib.sh"
pg_data=
cleanup() {
	stop_servers
	if [ -n "$pg_data" ]; then as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: the cluster belongs to the postgres
# user when this runs as root.
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_port=$(free_port 15439)
start_pg() {
	pg_data=$tmp/pg
	mkdir -p "$pg_data"
	[ "$(id -u)" = 0 ] && chown postgres "$pg_data"
	as_pg "$pg_bin/initdb" -D "$pg_data" -A trust -U fastsafe -E UTF8 --no-sync >/dev/null
	as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/log" -w -t 60 start -o \
		"-p $pg_port -k $pg_data -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on -c pg_stat_statements.max=1000 -c max_connections=200 -c shared_buffers=256MB -c autovacuum_naptime=10s" >/dev/null
}
pg_url() { echo "postgres://fastsafe@127.0.0.1:$pg_port/$1?sslmode=disable"; }
psql_pg() { "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 "$(pg_url "${PGDB:-postgres}")" "$@"; }

export BENCHSEED_PASSWORD BENCHSEED_CLIENT_SECRET
BENCHSEED_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
BENCHSEED_CLIENT_SECRET=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d =)
formats=(-user-format 'seed-user-%07d' -client-format 'seed-client-%06d' -token-format 'seed-refresh-%07d')

seed() { # db users clients tokens
	echo "== seeding $1: $2 users, $3 clients, $4 refresh tokens"
	"$bin/benchseed" -db "$1" -users "$2" -clients "$3" -tokens "$4" -bcrypt-cost "$cost" "${formats[@]}"
}

# serve db port [flags…]: an authorization server on db, with the settings
# of run.sh (lockouts per address and per client off: the load comes from
# one address).
serve() {
	local db=$1 port=$2
	shift 2
	AUTH_ADDR=127.0.0.1:$port AUTH_ISSUER=http://127.0.0.1:$port AUTH_DB=$db AUTH_BCRYPT_COST=$cost \
		AUTH_ADDRESS_MAX_FAILURES=0 AUTH_CLIENT_MAX_FAILURES=0 AUTH_SIGNING_ALG=EdDSA \
		"$bin/authserver" serve "$@" >"$tmp/auth-$port.log" 2>&1 &
	pids+=("$!")
	for _ in $(seq 300); do
		curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "data.sh: the server on $db did not start" >&2
	cat "$tmp/auth-$port.log" >&2
	exit 1
}

setup="Servers: \`bin/authserver\` (EdDSA keys, bcrypt cost $cost, logs at info level to a file, per-address and per-client lockouts off), the default GOMAXPROCS, the same settings on both databases."

latency() { # backend small-db big-db
	local p1 p2
	p1=$(free_port 19200)
	serve "$2" "$p1"
	p2=$(free_port $((p1 + 1)))
	serve "$3" "$p2"
	"$bin/benchdata" latency -title "Data growth: $1" -setup "$setup" -out "$out" \
		-small "http://127.0.0.1:$p1" -small-users 10 -small-clients 10 -small-tokens "$small_tokens" \
		-big "http://127.0.0.1:$p2" -big-users "$users" -big-clients "$clients" -big-tokens "$tokens" \
		"${formats[@]}" -runs "$runs" -phase "$phase"
	stop_servers
}

# The sustained run: a fixed set of users and clients, refresh grants with
# lifetimes of seconds, the cleanup every 5 seconds.
sustained() { # backend db size-command
	local p
	p=$(free_port 19300)
	serve "$2" "$p" --refresh-token-ttl 10s --refresh-token-absolute-ttl 20s --refresh-token-grace 1s --cleanup-interval 5s
	"$bin/benchdata" sustain -title "$1" -out "$out" -big "http://127.0.0.1:$p" \
		-big-users 1000 -big-clients 100 "${formats[@]}" -duration "$sustain" -sustain-rate 100 -size "$3"
	stop_servers
}

steps=" ${DATA_STEPS:-latency sustain roundtrips} "
has() { [[ $steps == *" $1 "* ]]; }
# shellcheck source=e2e/bench/roundtrips.sh
source "$root/e2e/bench/roundtrips.sh"
# shellcheck source=e2e/bench/explain.sh
source "$root/e2e/bench/explain.sh"

if has latency || has sustain; then
	cat >>"$out" <<MD

# Data growth

Goal 3: latency flat as the data grows, and a database that stops growing when the number of users does. Made by \`e2e/bench/data.sh\` (part of \`make bench\`); the PostgreSQL databases live in a PostgreSQL 15 cluster that the script starts for the measurement (shared_buffers 256MB, autovacuum every 10 s, otherwise the defaults), the SQLite ones in a temporary directory.
MD
fi

start_pg
psql_pg -c 'CREATE EXTENSION pg_stat_statements' -c 'CREATE DATABASE small' -c 'CREATE DATABASE big' -c 'CREATE DATABASE sustained'
if has latency || has roundtrips; then
	seed "$(pg_url big)" "$users" "$clients" "$tokens"
	PGDB=big psql_pg -c 'VACUUM ANALYZE' -c 'CHECKPOINT'
fi

if has latency; then
	seed "$tmp/small.db" 10 10 "$small_tokens"
	seed "$tmp/big.db" "$users" "$clients" "$tokens"
	latency SQLite "$tmp/small.db" "$tmp/big.db"
	seed "$(pg_url small)" 10 10 "$small_tokens"
	latency PostgreSQL "$(pg_url small)" "$(pg_url big)"
	explain_plans "$tmp/big.db"
fi

if has sustain; then
	cat >>"$out" <<MD

## Database size over a sustained run

Password grants, each followed by a chain of 20 refresh grants, 100 grants a second in all (paced, so that the number of live grants is steady) for $sustain, on 1000 seeded users and 100 clients that do not change, with refresh tokens that expire after 10 s unused and 20 s at most (\`--refresh-token-ttl 10s --refresh-token-absolute-ttl 20s --refresh-token-grace 1s\`) and the cleanup every 5 s (\`--cleanup-interval 5s\`). SQLite: the database file and its write-ahead log; PostgreSQL: \`pg_database_size\`. Goal: once the expired grants are being deleted, the size stops growing: growth over the second half of the run (the peak of its last quarter over the peak of its second quarter) at most 5%.

MD
	seed "$tmp/sustained.db" 1000 100 0 >/dev/null
	sustained SQLite "$tmp/sustained.db" "cat $tmp/sustained.db $tmp/sustained.db-wal 2>/dev/null | wc -c"
	seed "$(pg_url sustained)" 1000 100 0 >/dev/null
	sustained PostgreSQL "$(pg_url sustained)" "$pg_bin/psql -X -At '$(pg_url sustained)' -c 'SELECT pg_database_size(current_database())'"
fi

if has latency || has sustain; then
	{ echo; cat "$root/e2e/bench/data-notes.md"; } >>"$out"
fi

if has roundtrips; then
	roundtrips
fi
echo "data.sh: done"
