# shellcheck shell=bash
# Sourced by .ci/run: a PostgreSQL on loopback for the storage conformance
# suite and the two-replica end-to-end test. Safe to run again on a machine
# where it already ran: it installs Debian's postgresql only if it is
# missing, starts the newest cluster only if it is down, and creates the test
# role and database only if they do not exist.

if ! command -v pg_ctlcluster >/dev/null || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends postgresql
fi
pg_ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk -v v="$pg_ver" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
  pg_createcluster "$pg_ver" main
fi
# Debian's clusters listen on localhost only.
pg_port=$(pg_lsclusters -h | awk -v v="$pg_ver" '$1 == v && $2 == "main" { print $3 }')
pg_ctlcluster "$pg_ver" main status >/dev/null 2>&1 || pg_ctlcluster "$pg_ver" main start
for _ in $(seq 60); do
  pg_isready -q -h 127.0.0.1 -p "$pg_port" && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$pg_port"

pg_psql() { (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$pg_port" -d postgres "$@"); }
# A password unlike any other part of the URL, so that tests can check
# that no output shows it.
pg_password=ci-only-test-password
pg_psql -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fastsafe_test') THEN
    CREATE ROLE fastsafe_test LOGIN;
  END IF;
END \$\$;"
pg_psql -c "ALTER ROLE fastsafe_test LOGIN PASSWORD '$pg_password'"
if [ "$(pg_psql -tA -c "SELECT count(*) FROM pg_database WHERE datname = 'fastsafe_test'")" != 1 ]; then
  pg_psql -c "CREATE DATABASE fastsafe_test OWNER fastsafe_test"
fi

# The tests create a schema of their own in this database for each test.
export FASTSAFE_TEST_POSTGRES="postgres://fastsafe_test:${pg_password}@127.0.0.1:${pg_port}/fastsafe_test?sslmode=disable"
# This machine's cluster may be restarted by the tests (pg_ctlcluster).
export FASTSAFE_TEST_POSTGRES_RESTART=1
