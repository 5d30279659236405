#!/bin/sh
# Starts PostgreSQL 15 as the postgres user; creates the cluster in PGDATA on the first start.
# HC_PG_PASSWORD_FILE (optional) sets the postgres user's password and turns on scram-sha-256
# for network clients; without it network clients are trusted (a laptop's compose stack only).
set -eu
if [ ! -s "${PGDATA}/PG_VERSION" ]; then
  auth=trust
  pwopt=""
  if [ -n "${HC_PG_PASSWORD_FILE:-}" ]; then
    auth=scram-sha-256
    pwopt="--pwfile=${HC_PG_PASSWORD_FILE}"
  fi
  # shellcheck disable=SC2086  # pwopt is empty or one word
  initdb -D "${PGDATA}" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host="${auth}" ${pwopt} >/dev/null
  printf "host all all 0.0.0.0/0 %s\nhost all all ::/0 %s\n" "${auth}" "${auth}" \
    >>"${PGDATA}/pg_hba.conf"
fi
# max_connections: every service's pool (HC_DB_POOL_SIZE, 16) on one server, twice over for
# events and volunteering (their hot writes keep pipelined connections of their own).
exec postgres -D "${PGDATA}" -c listen_addresses='*' -c unix_socket_directories=/run/postgresql \
  -c max_connections=300 "$@"
