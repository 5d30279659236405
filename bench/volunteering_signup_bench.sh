#!/usr/bin/env bash
# Benchmark of the volunteering service against ceilings measured in the same run:
#   1. SignUp throughput through gRPC (bench/write_load) vs pgbench running the identical SQL at
#      the same number of PostgreSQL connections;
#   2. cached ListRoles vs the bare gRPC echo server (bench/echo_server.cc);
# each at full load (the ratio) and at half of its own full load (p50/p99 latency).
#
#   bench/volunteering_signup_bench.sh
#
# The SignUp work, in both runs: the read of the shift's role (one statement, no BEGIN/COMMIT
# since 2026-11-30: the service asks it before the sign-up transaction, to ask membership about
# eligibility without holding a lock; the seeded roles need no sober time, so membership is not
# called), then one transaction: the member's shared lock (libs/identity); one statement for
# the tombstone check, the shift's role and the member-and-role advisory lock (the per-person
# limit); the role row FOR SHARE; the shift row FOR UPDATE; one read of the member's latest
# sign-up (an active one is always the latest) and of the count of their current sign-ups of
# the role; the CONFIRMED insert with the counts update (one statement, a data-modifying WITH);
# VolunteerSignedUp into the outbox (its trigger NOTIFYs the relay); commit. Since 2026-12-01
# the transaction goes in two batches (libpq's pipeline mode in the service, \startpipeline in
# pgbench): BEGIN to the sign-up read, then the writes with the COMMIT; 3 round trips with the
# role's read (12 before, 17 before 2026-11-30). BENCH_PGBENCH_PIPELINE=0 sends pgbench's
# statements one at a time, for a service built before. Through gRPC (bench/write_load, a closed loop of CONCURRENCY calls)
# each call is a sign-up by a member drawn at random from BENCH_MEMBERS for a shift of its own
# (each of a role of its own), the shifts in a random order; pgbench picks a random shift and a
# random member per transaction. (Until 2026-11-30 ghz made every call as one member, to the
# shifts in order: PostgreSQL spent 2,819 us per sign-up on that shape against pgbench's 1,090.) The service keeps
# running during the pgbench run, so its relay publishes pgbench's rows to Kafka too. Both
# prepare their statements once per connection (pgbench -M prepared, the service's
# hc::postgres::ExecPrepared); BENCH_PGBENCH_MODE=extended for a build from before that.
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
#   BENCH_SHUFFLE         0: the shifts in order (with BENCH_MEMBERS=1: the shape before 11-30)
#   BENCH_SHIFTS          roles (one shift each) seeded for sign-ups (default 100000)
#   BENCH_PGBENCH_MODE    pgbench's query mode: prepared (default) or extended
#   BENCH_PGBENCH_PIPELINE 1 (default): pgbench sends the transaction in two batches, as the
#                         service does; 0: a statement at a time
#   BENCH_SERVER_CPU      core of the servers (default 1); the load tools use the other
#   BENCH_CLIENT_CPU      core of write_load, ghz and pgbench (default 0)
#   BENCH_BUILD_DIR       where the binaries are (default build/)
#   BENCH_OUT             where reports and logs go (default $HC_HOME/bench/volunteering-<time>)
set -euo pipefail
HC_LOG_TAG="volunteering-bench"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "${HC_REPO_ROOT}"

# shellcheck source=bench/lib.sh
source "${HC_REPO_ROOT}/bench/lib.sh"
bench_help_if_asked "$@"
SHIFTS="${BENCH_SHIFTS:-100000}"
bench_init volunteering SHIFTS
PROTO="proto/alumni/volunteering/v1/volunteering_service.proto"

hc_steps 6
hc_step "test stack and a fresh database"
bench_stack_and_database

hc_step "volunteering service on core ${SERVER_CPU} (${CONNS} PostgreSQL connections)"
bench_topics events
# Mentorship seals with a data key (HC_DATA_KEY_FILE), as membership does.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${TMP}/data.key"
bench_start_service HC_EVENTS_CONSUMER_GROUP="volunteering-events-bench-${DB_NAME}" \
  HC_EVENTS_TOPIC="${TOPIC_events}" HC_DATA_KEY_FILE="${TMP}/data.key"

hc_step "seeding ${SHIFTS} roles with a shift each"
RID="('20000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid"
SID="('30000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid"
psql -X -q -v ON_ERROR_STOP=1 "${PG}/${DB_NAME}" >/dev/null <<SQL
INSERT INTO roles (role_id, title, description, tags, venue, max_shifts_per_person, created_by,
                   created_at, updated_at)
SELECT ${RID}, 'Bench role ' || n, '', '{}', 'Bench hall', 5, 'bench', now(), now()
FROM generate_series(1, ${SHIFTS}) n;
INSERT INTO shifts (shift_id, role_id, starts_at, ends_at, time_zone, slots, created_at,
                    updated_at)
SELECT ${SID}, ${RID}, now() + interval '30 days', now() + interval '30 days 2 hours',
       'America/Chicago', 500, now(), now()
FROM generate_series(1, ${SHIFTS}) n;
ANALYZE roles;
ANALYZE shifts;
SQL
# Each gRPC run signs up for shifts of its own, in a random order: warm-up a fifth of them, the
# full-load run two fifths, the half-load run the rest.
bench_write_ids signup 30000000-0000-4000-8000- "${SHIFTS}"
# The service's SignUp (api/volunteering_service.cc DoSignUp, storage/role_store.cc SignUp,
# CONFIRMED path), statement for statement.
SHIFT="('30000000-0000-4000-8000-' || lpad(to_hex(:s::bigint), 12, '0'))"
MID="('10000000-0000-4000-8000-' || lpad(to_hex(:m::bigint), 12, '0'))"
EPOCH() { echo "(extract(epoch FROM $1) * 1000)::bigint"; }
ROLE_COLS="r.role_id::text, r.title, r.description, array_to_string(r.tags, ','), r.venue,
  r.online_url, COALESCE(r.event_id::text, ''), r.min_sober_days, r.max_shifts_per_person,
  r.status, r.created_by, $(EPOCH r.created_at), $(EPOCH r.updated_at), r.requires_approval"
SHIFT_COLS="s.shift_id::text, s.role_id::text, $(EPOCH s.starts_at), $(EPOCH s.ends_at),
  s.time_zone, s.slots, s.confirmed_count, s.waitlist_count, s.next_waitlist_seq,
  s.pending_count, s.status, $(EPOCH s.updated_at)"
cat >"${TMP}/signup.sql" <<SQL
\set s random(1, ${SHIFTS})
\set m random(1, 281474976710655)
SELECT ${ROLE_COLS} FROM roles r JOIN shifts s ON s.role_id = r.role_id
  WHERE s.shift_id = ${SHIFT}::uuid;
\startpipeline
BEGIN;
SELECT pg_advisory_xact_lock_shared(18499, hashtext(${MID}));
SELECT t.erased, r.role_id::text, pg_advisory_xact_lock(22098, hashtext(r.role_id::text || '|'
  || ${MID})) FROM (SELECT EXISTS (SELECT 1 FROM token_revocations WHERE subject = ${MID}
  AND erased) AS erased) t LEFT JOIN shifts s ON s.shift_id = ${SHIFT}::uuid
  LEFT JOIN roles r ON r.role_id = s.role_id;
SELECT ${ROLE_COLS} FROM roles r WHERE r.role_id = (SELECT role_id FROM shifts
  WHERE shift_id = ${SHIFT}::uuid) FOR SHARE;
SELECT ${SHIFT_COLS} FROM shifts s WHERE s.shift_id = ${SHIFT}::uuid FOR UPDATE;
SELECT g.signup_id, g.status, $(EPOCH g.created_at), $(EPOCH g.updated_at),
  CASE WHEN g.status = 2 THEN (SELECT count(*) FROM signups w WHERE w.shift_id = g.shift_id
    AND w.status = 2 AND w.waitlist_seq <= g.waitlist_seq) ELSE 0 END,
  (SELECT count(*) FROM shifts hs JOIN signups h ON h.shift_id = hs.shift_id
    WHERE hs.role_id = o.role_id AND hs.ends_at > now() AND h.member_id = ${MID}::uuid
    AND h.role_id = o.role_id AND h.status IN (1, 2, 4))
  FROM (SELECT role_id FROM shifts WHERE shift_id = ${SHIFT}::uuid) o
  LEFT JOIN LATERAL (SELECT * FROM signups g
    WHERE g.shift_id = ${SHIFT}::uuid AND g.member_id = ${MID}::uuid
    ORDER BY g.signup_id DESC LIMIT 1) g ON true;
\endpipeline
\startpipeline
WITH added AS (INSERT INTO signups (shift_id, role_id, member_id, status, waitlist_seq,
                                    created_at, updated_at)
  VALUES (${SHIFT}::uuid, ('20000000-0000-4000-8000-' || lpad(to_hex(:s::bigint), 12, '0'))::uuid,
          ${MID}::uuid, 1, NULLIF(0::bigint, 0), now(), now()))
  UPDATE shifts SET confirmed_count = confirmed_count + 1, waitlist_count = waitlist_count,
  next_waitlist_seq = next_waitlist_seq WHERE shift_id = ${SHIFT}::uuid;
INSERT INTO outbox (topic, msg_key, ce_type, payload, subjects)
  VALUES ('alumni.volunteering.v1', '20000000-0000-4000-8000-' || lpad(to_hex(:s::bigint), 12, '0'),
          'alumni.volunteering.v1.VolunteerSignedUp', decode(repeat('0a', 130), 'hex'),
          ARRAY[${MID}]) RETURNING id::text;
END;
\endpipeline
SQL
if [[ "${BENCH_PGBENCH_PIPELINE:-1}" == 0 ]]; then
  sed -i '/^\\\(start\|end\)pipeline$/d' "${TMP}/signup.sql"
fi

hc_step "SignUp: gRPC vs pgbench, full load then half load"
bench_write_vs_pgbench signup signup signups "${TMP}/signup.sql"

hc_step "cached ListRoles vs the echo server"
LIST_ARGS=(--proto "${PROTO}" -d "{\"page_size\":${BENCH_LIST_PAGE_SIZE:-20}}"
           -m "{\"authorization\":\"Bearer ${MEMBER_TOKEN}\"}")
bench_cached_read list alumni.volunteering.v1.VolunteeringService/ListRoles "${LIST_ARGS[@]}"
bench_echo_ceiling

hc_step "summary"
{
  echo "volunteering bench, $(date -u '+%Y-%m-%d %H:%M UTC'), commit" \
    "$(git rev-parse --short HEAD), $(nproc) cores, ${IDLE}% idle before"
  echo "servers on core ${SERVER_CPU}; write_load, ghz and pgbench on core ${CLIENT_CPU};" \
    "PostgreSQL, Redis, Kafka unpinned"
  echo "SignUp: ${CONNS} PostgreSQL connections (service pool = pgbench clients)," \
    "${WORKERS} workers, write_load ${CONCURRENCY} concurrent calls by ${MEMBERS} members; ${SECS}s per run;" \
    "pgbench -M ${PGBENCH_MODE}, pipelined ${BENCH_PGBENCH_PIPELINE:-1}"
  echo
  row "" "per second" "p50 ms" "p99 ms" "errors"
  row "SignUp via gRPC, full load" "${G_RPS}" "${G_P50}" "${G_P99}" "${G_ERR}"
  row "SignUp via pgbench, full" "${P_TPS}" "${P_P50}" "${P_P99}" "${P_ERR}"
  row "SignUp via gRPC, half load" "${GH_RPS}" "${GH_P50}" "${GH_P99}" "${GH_ERR}"
  row "SignUp via pgbench, half" "${PH_TPS}" "${PH_P50}" "${PH_P99}" "${PH_ERR}"
  row "ListRoles (cached), full" "${R_RPS}" "${R_P50}" "${R_P99}" "${R_ERR}"
  row "echo server, full" "${X_RPS}" "${X_P50}" "${X_P99}" "${X_ERR}"
  row "ListRoles (cached), half" "${RH_RPS}" "${RH_P50}" "${RH_P99}" "${RH_ERR}"
  row "echo server, half" "${XH_RPS}" "${XH_P50}" "${XH_P99}" "${XH_ERR}"
  echo
  echo "SignUp gRPC / pgbench:     $(ratio "${G_RPS}" "${P_TPS}")   (aim >= 0.85)"
  echo "  CPU per SignUp, whole machine: ${G_CPU} us via gRPC (${G_SVC} us of it in the" \
    "volunteering process), ${P_CPU} us via pgbench (${P_SVC} us in the process: its relay)"
  echo "  by process, per SignUp: gRPC run ${G_BREAKDOWN}"
  echo "  by process, per SignUp: pgbench run ${P_BREAKDOWN}"
  echo "  without the load tools (machine less client), per SignUp: ${G_SERVED} us via gRPC," \
    "${P_SERVED} us via pgbench: $(ratio "${P_SERVED}" "${G_SERVED}") (the ratio if the load tools" \
    "cost nothing)"
  host_speed_line
  echo "ListRoles / echo server:   $(ratio "${R_RPS}" "${X_RPS}")   (aim >= 0.7)"
} | tee "${OUT}/summary.txt"
hc_log "reports in ${OUT}"
