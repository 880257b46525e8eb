# Sourced by e2e/bench/data.sh, whose functions (seed, serve, psql_pg,
# pg_url, stop_servers) and PostgreSQL cluster it uses: goal 4, the
# statements and round trips of each grant on PostgreSQL, counted with
# pg_stat_statements, and the primary's transaction rate for statements
# shaped like a grant's, measured with pgbench. It replaces the part of
# docs/scaling.md between its markers.

rt_requests=${RT_REQUESTS:-200}
scaling=${SCALING:-$root/docs/scaling.md}

# count_statements op first-token: runs RT_REQUESTS requests of op on the
# server at $rt_url after one unmeasured one, and prints, tab-separated,
# the calls and text of each statement they ran.
count_statements() {
	local op=$1 first=$2
	local common=(-big "$rt_url" -big-users 10 -big-clients 10 -big-tokens "$rt_tokens" "${formats[@]}" -op "$op")
	"$bin/benchdata" requests "${common[@]}" -n 1 -first-token "$first"
	psql_pg -At -c 'SELECT pg_stat_statements_reset()' >/dev/null
	"$bin/benchdata" requests "${common[@]}" -n "$rt_requests" -first-token $((first + 1))
	psql_pg -At -F $'\t' -c "SELECT s.calls, regexp_replace(s.query, '\s+', ' ', 'g') FROM pg_stat_statements s
		JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = 'counts' ORDER BY s.calls DESC, s.query"
}

# pgbench_tps script: the transactions per second of pgbench running
# script on the big database, 8 clients, prepared statements.
pgbench_tps() {
	as_pg "$pg_bin/pgbench" -n -M prepared -c 8 -j 2 -T "${RT_PGBENCH_TIME:-10}" -f "$1" \
		-D nusers="$users" -D nclients="$clients" -D ntokens="$tokens" -h 127.0.0.1 -p "$pg_port" -U fastsafe big 2>"$tmp/pgbench.err" |
		awk '/^tps = / { printf "%.0f", $3 }' || { cat "$tmp/pgbench.err" >&2; return 1; }
}

# cpu_per_grant phase: the server CPU per request of that phase of
# run.sh's report in $out, in microseconds; empty if it is not there.
# With several signing algorithms measured the phases are named "ALG:
# phase"; the first algorithm's row counts.
cpu_per_grant() {
	awk -F'|' -v p="$1" '{ name = $2; sub(/^ ([A-Za-z0-9]+: )?/, "", name); sub(/ $/, "", name) }
		name == p { gsub(/[ µs]/, "", $9); print $9; exit }' "$out"
}

roundtrips() {
	psql_pg -c 'CREATE DATABASE counts'
	rt_tokens=$((10 * (rt_requests + 1)))
	seed "$(pg_url counts)" 10 10 "$rt_tokens" >/dev/null
	local p
	p=$(free_port 19400)
	serve "$(pg_url counts)" "$p"
	rt_url=http://127.0.0.1:$p
	local ops=(password refresh_token client_credentials introspect revoke) op
	mkdir -p "$tmp/rt"
	local first=0
	for op in "${ops[@]}"; do
		echo "== counting the statements of $op"
		count_statements "$op" "$first" >"$tmp/rt/$op"
		first=$((first + rt_requests + 1))
	done
	stop_servers

	echo "== pgbench: transactions shaped like each grant"
	local dir=$root/e2e/bench/pgbench tps_refresh tps_password tps_cc
	tps_refresh=$(pgbench_tps "$dir/refresh_token.sql")
	tps_password=$(pgbench_tps "$dir/password.sql")
	tps_cc=$(pgbench_tps "$dir/client_credentials.sql")
	local cpu_pw cpu_cc
	cpu_pw=$(cpu_per_grant 'POST /token password')
	cpu_cc=$(cpu_per_grant 'POST /token client_credentials')

	{
		echo '<!-- roundtrips:begin (written by e2e/bench/roundtrips.sh, make bench) -->'
		echo '## Round trips per grant, and what one primary feeds'
		echo
		echo "Counted, not estimated: a PostgreSQL 15 cluster started by \`make bench\` for the purpose, with \`pg_stat_statements\` loaded and \`pg_stat_statements.track_utility = on\` (so that BEGIN and COMMIT are counted too), one \`bin/authserver\` on it; for each operation, one unmeasured request, then \`pg_stat_statements_reset()\`, then $rt_requests requests one at a time, then the calls of each statement divided by $rt_requests. The server sends each statement as one round trip (pgx's extended protocol with its statement cache: Bind, Execute and Sync in one message batch), and BEGIN and COMMIT as one each, so round trips are all the calls. A fraction below one is a statement some requests ran, or a background task of the server (the signing-key and failure-record reloads) during the count."
		echo
		echo 'Goal: at most one transaction per grant (met: "yes" when BEGIN is counted at most once per request), and no statement inside a transaction that could run outside it (below the tables).'
		echo
		echo '| operation | statements | transactions (BEGIN) | round trips | at most one transaction |'
		echo '|---|---:|---:|---:|---|'
		for op in "${ops[@]}"; do
			awk -F'\t' -v op="$op" -v n="$rt_requests" '
				{ all += $1; q = tolower($2) }
				q ~ /^(begin|commit|rollback)/ { if (q ~ /^begin/) tx += $1; next }
				{ st += $1 }
				END { printf "| %s | %.2f | %.2f | %.2f | %s |\n", op, st / n, tx / n, all / n, (tx / n <= 1.005 ? "yes" : "no") }' "$tmp/rt/$op"
		done
		echo
		echo 'Each statement, per request (statements made by pgx or by this count itself excluded):'
		echo
		echo '| operation | per request | statement |'
		echo '|---|---:|---|'
		for op in "${ops[@]}"; do
			awk -F'\t' -v op="$op" -v n="$rt_requests" '
				$2 ~ /pg_stat_statements/ { next }
				{ s = $2; if (length(s) > 160) s = substr(s, 1, 157) "…"; gsub(/\|/, "\\|", s)
				  printf "| %s | %.2f | `%s` |\n", op, $1 / n, s }' "$tmp/rt/$op"
		done
		echo
		echo "Inside the transactions only what must be atomic runs: the password grant's one transaction holds the two INSERTs of the new grant (its family and first token); the refresh grant's holds the lock of the presented token and its family (SELECT … FOR UPDATE, which also reads whether it was used and its successor, to tell a retry from a reuse), the UPDATE that marks it used, and the INSERT of its successor; every read of the client, the user and the token before them runs outside. \`/revoke\` is one UPDATE with no transaction around it (it was BEGIN, UPDATE, COMMIT: 5 round trips, now 3); client_credentials and \`/introspect\` only read. One round trip could still go: the password grant's \`DELETE FROM failure_records WHERE key = \$1\` (a successful login forgets the account's failures) runs even when the read before it found none (package throttle)."
		echo
		echo "### One primary's grant rate"
		echo
		echo "\`pgbench\` (8 clients, 2 threads, prepared statements, ${RT_PGBENCH_TIME:-10} s) on the big seeded database ($(count_words "$users") users, $(count_words "$clients") clients, $(count_words "$tokens") refresh tokens) of the same cluster, on this machine ($(nproc) cores, shared with the load generator), with scripts in \`e2e/bench/pgbench/\` that run one grant's statements as the server runs them (reads by primary key outside a transaction, the writes in one):"
		echo
		echo '| grant-shaped transaction | pgbench transactions/s = grants/s one primary serves |'
		echo '|---|---:|'
		echo "| refresh_token (3 reads; BEGIN, lock, UPDATE, INSERT, COMMIT) | $tps_refresh |"
		echo "| password (2 reads; BEGIN, 2 INSERTs, COMMIT) | $tps_password |"
		echo "| client_credentials (1 read) | $tps_cc |"
		echo
		if [ -n "$cpu_pw" ] && [ -n "$cpu_cc" ]; then
			awk -v r="$tps_refresh" -v p="$tps_password" -v c="$tps_cc" -v cpw="$cpu_pw" -v ccc="$cpu_cc" 'BEGIN {
				pw = 1e6 / cpw; cc = 1e6 / ccc
				printf "One authorization server core makes %.1f password grants/s (bcrypt-bound: %s µs of server CPU each) or %.0f client_credentials grants/s (signature-bound: %s µs each), from the Endpoints table of docs/performance.md in the same run. So one primary like this one feeds %.0f cores of password grants (%.0f two-core replicas), %.0f cores of client_credentials grants (%.1f two-core replicas), or, for refresh grants, whose CPU per grant is close to a client_credentials grant'"'"'s, about %.1f cores (%.1f two-core replicas). The database is the bound only for client_credentials and refresh grants at large scale; password grants are bcrypt-bound long before.\n",
					pw, cpw, cc, ccc, p / pw, p / pw / 2, c / cc, c / cc / 2, r / cc, r / cc / 2 }'
		else
			echo 'The server CPU per grant was not found in the Endpoints table of the report (run.sh did not run before): replicas fed not computed.'
		fi
		echo '<!-- roundtrips:end -->'
	} >"$tmp/roundtrips.md"
	if grep -q '<!-- roundtrips:begin' "$scaling"; then
		awk -v f="$tmp/roundtrips.md" '
			/<!-- roundtrips:begin/ { while ((getline l < f) > 0) print l; skip = 1; next }
			/<!-- roundtrips:end -->/ { skip = 0; next }
			!skip' "$scaling" >"$tmp/scaling.md"
		cat "$tmp/scaling.md" >"$scaling"
	else
		{ echo; cat "$tmp/roundtrips.md"; } >>"$scaling"
	fi
	echo "wrote $scaling"
}

count_words() {
	local n=$1
	if [ "$n" -ge 1000000 ] && [ $((n % 1000000)) = 0 ]; then echo "$((n / 1000000))M"
	elif [ "$n" -ge 1000 ] && [ $((n % 1000)) = 0 ]; then echo "$((n / 1000))k"
	else echo "$n"; fi
}
