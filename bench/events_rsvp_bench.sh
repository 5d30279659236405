#!/usr/bin/env bash
# Benchmark of the events service against ceilings measured in the same run:
#   1. RSVP throughput through gRPC (bench/write_load) vs pgbench running the identical SQL
#      transaction at the same number of PostgreSQL connections;
#   2. cached GetEvent vs the bare gRPC echo server (bench/echo_server.cc);
# each at full load (the ratio) and at half of its own full load (p50/p99 latency).
#
#   bench/events_rsvp_bench.sh
#
# The RSVP transaction, in both runs (2 round trips since 2026-12-01: libpq's pipeline mode in
# the service, \startpipeline in pgbench; BENCH_PGBENCH_PIPELINE=0 sends pgbench's statements
# one at a time, 7 round trips, for a service built before): BEGIN, the member's shared advisory lock
# (libs/identity), lock the event row (SELECT ... FOR UPDATE) reading the member's tombstone in
# the same statement, look for the member's active RSVP, insert a GOING RSVP and update the
# event's counts (one statement, a data-modifying WITH), append
# RsvpConfirmed to the outbox with the member as its subject (its trigger NOTIFYs the relay),
# commit. (Before 2026-11-30 the pgbench side left out the lock and the tombstone check that
# the service has always run, which flattered the ceiling.) Through gRPC (bench/write_load,
# a closed loop of CONCURRENCY calls) each call is an RSVP by a member drawn at random from
# BENCH_MEMBERS to an event of its own, the events in a random order; pgbench picks a random
# event and a random member per transaction. (Until 2026-11-30 ghz made every call as one member
# to the events in order: one caller's hot advisory lock and index pages cost PostgreSQL 1,065
# us per RSVP against pgbench's 693, a shape no community has.) The events service keeps
# running during the pgbench run, so its outbox relay publishes pgbench's rows to Kafka too
# and both runs carry the same background work. Statements are prepared once per
# connection and then executed by name in both (pgbench -M prepared; the service's
# hc::postgres::ExecPrepared); BENCH_PGBENCH_MODE=extended measures pgbench unprepared, for a
# service built before ExecPrepared.
#
# Uses the test stack (scripts/stack.sh --profile test; started and stopped again only when
# it was not running) with a fresh database, dropped at the end. Figures are printed and kept
# in $BENCH_OUT/summary.txt, not gated.
#
# Environment:
#   BENCH_SECONDS         measured seconds per run (default 10)
#   BENCH_WARMUP_SECONDS  unmeasured warm-up before each full-load gRPC run (default 3); pgbench
#                         warms up as long before them (30 s when the bench started the stack)
#   BENCH_DB_CONNECTIONS  PostgreSQL connections: the service's pool and pgbench clients (8)
#   BENCH_WORKERS         the service's worker threads (default: BENCH_DB_CONNECTIONS, as
#                         the service's own defaults have as many workers as connections)
#   BENCH_CONCURRENCY     concurrent gRPC calls (default 32)
#   BENCH_MEMBERS         members the gRPC calls are made by, a random one each (2000)
#   BENCH_SHUFFLE         0: the events in order (with BENCH_MEMBERS=1: the shape before 11-30)
#   BENCH_EVENTS          events seeded for RSVPs (default 100000)
#   BENCH_PGBENCH_MODE    pgbench's query mode: prepared (default) or extended
#   BENCH_PGBENCH_PIPELINE 1 (default): pgbench sends the RSVP in two batches, as the service
#                         does; 0: a statement at a time
#   BENCH_SERVER_CPU      core of the servers (default 1); the load tools use the other
#   BENCH_CLIENT_CPU      core of write_load, ghz and pgbench (default 0)
#   BENCH_BUILD_DIR       where the binaries are (default build/)
#   BENCH_OUT             where reports and logs go (default $HC_HOME/bench/events-<time>)
set -euo pipefail
HC_LOG_TAG="events-bench"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "${HC_REPO_ROOT}"

# shellcheck source=bench/lib.sh
source "${HC_REPO_ROOT}/bench/lib.sh"
bench_help_if_asked "$@"
EVENTS="${BENCH_EVENTS:-100000}"
bench_init events EVENTS
EVENTS_PROTO="proto/alumni/events/v1/events_service.proto"

hc_steps 6
hc_step "test stack and a fresh database"
bench_stack_and_database

hc_step "events service on core ${SERVER_CPU} (${CONNS} PostgreSQL connections)"
bench_start_service

hc_step "seeding ${EVENTS} events"
psql -X -q -v ON_ERROR_STOP=1 "${PG}/${DB_NAME}" >/dev/null <<SQL
INSERT INTO events (event_id, title, kind, starts_at, ends_at, time_zone, venue, capacity,
                    waitlist_enabled, visibility, created_by, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'Bench event ' || n, 1,
       now() + interval '30 days', now() + interval '30 days 2 hours', 'America/Chicago',
       'Bench hall', 10000, true, 2, 'bench', now(), now()
FROM generate_series(1, ${EVENTS}) n;
ANALYZE events;
SQL
# Each gRPC run RSVPs to events of its own, in a random order: warm-up a fifth of them, the
# full-load run two fifths, the half-load run the rest.
bench_write_ids rsvp 00000000-0000-4000-8000- "${EVENTS}"
# The service's RSVP transaction (storage/event_store.cc, GOING path), statement for statement.
EID="('00000000-0000-4000-8000-' || lpad(to_hex(:e::bigint), 12, '0'))::uuid"
MID="('10000000-0000-4000-8000-' || lpad(to_hex(:m::bigint), 12, '0'))::uuid"
cat >"${TMP}/rsvp.sql" <<SQL
\set e random(1, ${EVENTS})
\set m random(1, 281474976710655)
\startpipeline
BEGIN;
SELECT pg_advisory_xact_lock_shared(18499, hashtext(${MID}::text));
SELECT e.event_id::text, COALESCE(e.series_id::text, ''), e.title, e.description, e.kind,
  (extract(epoch FROM e.starts_at) * 1000)::bigint, (extract(epoch FROM e.ends_at) * 1000)::bigint,
  e.time_zone, e.venue, e.online_url, e.capacity, e.waitlist_enabled, e.visibility, e.status,
  e.going_count, e.waitlist_count, e.sequence, e.created_by,
  (extract(epoch FROM e.created_at) * 1000)::bigint,
  (extract(epoch FROM e.updated_at) * 1000)::bigint, e.next_waitlist_seq,
  EXISTS (SELECT 1 FROM token_revocations WHERE subject = ${MID}::text AND erased)
  FROM events e WHERE e.event_id = ${EID} FOR UPDATE;
SELECT r.rsvp_id, r.event_id::text, r.member_id::text, r.status,
  CASE WHEN r.status = 2 THEN (SELECT count(*) FROM rsvps w WHERE w.event_id = r.event_id
    AND w.status = 2 AND w.waitlist_seq <= r.waitlist_seq) ELSE 0 END,
  (extract(epoch FROM r.checked_in_at) * 1000)::bigint,
  (extract(epoch FROM r.created_at) * 1000)::bigint,
  (extract(epoch FROM r.updated_at) * 1000)::bigint
  FROM rsvps r WHERE r.event_id = ${EID} AND r.member_id = ${MID} AND r.status IN (1, 2);
\endpipeline
\startpipeline
WITH added AS (INSERT INTO rsvps (event_id, member_id, status, created_at, updated_at)
  VALUES (${EID}, ${MID}, 1, now(), now()))
  UPDATE events SET going_count = going_count + 1, waitlist_count = waitlist_count,
  next_waitlist_seq = next_waitlist_seq WHERE event_id = ${EID};
INSERT INTO outbox (topic, msg_key, ce_type, payload, subjects)
  VALUES ('alumni.events.v1', ${EID}::text, 'alumni.events.v1.RsvpConfirmed',
          decode(repeat('0a', 104), 'hex'), ARRAY[${MID}::text]) RETURNING id::text;
END;
\endpipeline
SQL
if [[ "${BENCH_PGBENCH_PIPELINE:-1}" == 0 ]]; then
  sed -i '/^\\\(start\|end\)pipeline$/d' "${TMP}/rsvp.sql"
fi

hc_step "RSVP: gRPC vs pgbench, full load then half load"
bench_write_vs_pgbench rsvp rsvp rsvps "${TMP}/rsvp.sql"

hc_step "cached GetEvent vs the echo server"
EVENT1="00000000-0000-4000-8000-000000000001"
GET_ARGS=(--proto "${EVENTS_PROTO}" -d "{\"event_id\":\"${EVENT1}\"}"
          -m "{\"authorization\":\"Bearer ${MEMBER_TOKEN}\"}")
bench_cached_read get alumni.events.v1.EventsService/GetEvent "${GET_ARGS[@]}"
bench_echo_ceiling

hc_step "summary"
{
  echo "events bench, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)," \
    "$(nproc) cores, ${IDLE}% idle before"
  echo "servers on core ${SERVER_CPU}; write_load, ghz and pgbench on core ${CLIENT_CPU};" \
    "PostgreSQL, Redis, Kafka unpinned"
  echo "RSVP: ${CONNS} PostgreSQL connections (service pool = pgbench clients)," \
    "${WORKERS} workers, write_load ${CONCURRENCY} concurrent calls by ${MEMBERS} members; ${SECS}s per run;" \
    "pgbench -M ${PGBENCH_MODE}, pipelined ${BENCH_PGBENCH_PIPELINE:-1}"
  echo
  row "" "per second" "p50 ms" "p99 ms" "errors"
  row "RSVP via gRPC, full load" "${G_RPS}" "${G_P50}" "${G_P99}" "${G_ERR}"
  row "RSVP via pgbench, full load" "${P_TPS}" "${P_P50}" "${P_P99}" "${P_ERR}"
  row "RSVP via gRPC, half load" "${GH_RPS}" "${GH_P50}" "${GH_P99}" "${GH_ERR}"
  row "RSVP via pgbench, half load" "${PH_TPS}" "${PH_P50}" "${PH_P99}" "${PH_ERR}"
  row "GetEvent (cached), full" "${R_RPS}" "${R_P50}" "${R_P99}" "${R_ERR}"
  row "echo server, full" "${X_RPS}" "${X_P50}" "${X_P99}" "${X_ERR}"
  row "GetEvent (cached), half" "${RH_RPS}" "${RH_P50}" "${RH_P99}" "${RH_ERR}"
  row "echo server, half" "${XH_RPS}" "${XH_P50}" "${XH_P99}" "${XH_ERR}"
  echo
  echo "RSVP gRPC / pgbench:     $(ratio "${G_RPS}" "${P_TPS}")   (aim >= 0.85)"
  echo "  CPU per RSVP, whole machine: ${G_CPU} us via gRPC (${G_SVC} us of it in the events" \
    "process), ${P_CPU} us via pgbench (${P_SVC} us in the events process: its relay)"
  echo "  by process, per RSVP: gRPC run ${G_BREAKDOWN}"
  echo "  by process, per RSVP: pgbench run ${P_BREAKDOWN}"
  echo "  without the load tools (machine less client), per RSVP: ${G_SERVED} us via gRPC," \
    "${P_SERVED} us via pgbench: $(ratio "${P_SERVED}" "${G_SERVED}") (the ratio if the load tools" \
    "cost nothing)"
  host_speed_line
  echo "GetEvent / echo server:  $(ratio "${R_RPS}" "${X_RPS}")   (aim >= 0.7)"
} | tee "${OUT}/summary.txt"
hc_log "reports in ${OUT}"
