# Sourced by e2e/bench/data.sh, whose functions and PostgreSQL cluster it
# uses: the query plan of each statement of e2e/bench/explain.sql on the
# big databases, SQLite (with the sqlite3 shell, if installed) and
# PostgreSQL, appended to $out, so that the report shows an index serving
# each.

# explain_plans sqlite-file: appends the plans to $out.
explain_plans() {
	local sql=$root/e2e/bench/explain.sql line
	local sqlite_list="IN (SELECT value FROM json_each('[\"a\",\"b\"]'))" pg_list="= ANY (ARRAY['a','b'])"
	{
		echo
		echo '### Query plans on the big databases'
		echo
		echo "Each statement the grants, \`/introspect\`, \`/revoke\` and the cleanup run (\`e2e/bench/explain.sql\`, with literal values), planned on the big databases: each is served by an index (a primary key, or the index named) wherever its table has rows (PostgreSQL rightly scans \`failure_records\`, empty in these databases, rather than use its key)."
		echo
		echo '<details><summary>Plans</summary>'
		echo
		echo '```'
		grep -v '^--' "$sql" | while IFS= read -r line; do
			echo "-- $line"
			if command -v sqlite3 >/dev/null; then
				echo "SQLite:"
				sqlite3 "$1" "EXPLAIN QUERY PLAN ${line//\{in list\}/$sqlite_list}" | sed 1d
			fi
			echo "PostgreSQL:"
			PGDB=big psql_pg -At -c "EXPLAIN ${line//\{in list\}/$pg_list}"
			echo
		done
		echo '```'
		echo
		echo '</details>'
	} >>"$out"
}
