#!/usr/bin/env bash
# "Monday morning": BENCH_RSVPERS members (5,000) RSVP to the monthly meeting within
# BENCH_SECONDS (60) while BENCH_BROWSERS others (20) browse, on the real membership, events and
# notifications processes. The meeting has BENCH_CAPACITY seats (4,000) and a waitlist, so both
# confirmations and waitlist notices are made. Prints:
#   - RSVP latency p50/p99/p99.9/max and the answers by status code; the browsers' GetEvent,
#     ListEvents and ListMyRsvps p50/p99 (build/bench/monday_client: open loop, a token each);
#   - for EVERY RSVP, its row's time (rsvps.created_at, its transaction's start) to its inbox
#     item's (inbox_items.created_at): p50/p99/max, beside Kafka's own produce -> consume
#     latency at the same rate in the same run (build/bench/kafka_probe);
#   - CPU seconds and memory of each service, PostgreSQL, Redis and Kafka over the run, and
#     their sum (bench/stack_usage.py);
#   - the counts proving nothing was lost or doubled: one row per OK answer, exactly capacity
#     GOING and the rest WAITLISTED with distinct tickets, one outbox row of the right type per
#     RSVP and all published, exactly one inbox item of the right kind per RSVP and none else.
#     Any of those wrong exits 1: that is a correctness failure, not a figure.
#
#   bench/monday.sh                        # as root, after scripts/build.sh; about 2 minutes
#   BENCH_SHAPE=surge bench/monday.sh      # front-loaded, as after the announcement email
#
# Members are seeded with SQL into membership (as scale.sh does); notifications needs nothing
# about them (the inbox defaults to on). The meeting and 30 other events are seeded with SQL
# into events. Before the load, 20 RSVPs to another event warm the relay's producer and
# notifications' consumer group up (a Monday finds them long running). Uses the test stack (started, and stopped again, only when it was not running),
# three fresh databases and the run's own topics, all dropped at the end. Services are not
# pinned; the client runs on BENCH_CLIENT_CPU. Figures in $BENCH_OUT/summary.txt, never gated.
#
# Environment:
#   BENCH_RSVPERS      members who RSVP, one RSVP each (5000)
#   BENCH_SECONDS      the window the RSVPs are sent in (60)
#   BENCH_CAPACITY     the meeting's seats (4000)
#   BENCH_BROWSERS     members browsing meanwhile (20)
#   BENCH_BROWSE_RATE  calls a second of each browser (5)
#   BENCH_SHAPE        even (evenly spaced) or surge (rate decaying with a 15 s time constant)
#   BENCH_CLIENT_CPU   core of the client (0)
#   BENCH_BUILD_DIR    where the binaries are (build/)
#   BENCH_OUT          reports and logs ($HC_HOME/bench/monday-<time>)
set -euo pipefail
HC_LOG_TAG="monday-bench"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "${HC_REPO_ROOT}"

# shellcheck source=bench/lib.sh
source "${HC_REPO_ROOT}/bench/lib.sh"
bench_help_if_asked "$@"
RSVPERS="${BENCH_RSVPERS:-5000}"
SECS="${BENCH_SECONDS:-60}"
CAPACITY="${BENCH_CAPACITY:-4000}"
BROWSERS="${BENCH_BROWSERS:-20}"
BROWSE_RATE="${BENCH_BROWSE_RATE:-5}"
SHAPE="${BENCH_SHAPE:-even}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
BUILD_DIR="${BENCH_BUILD_DIR:-${HC_REPO_ROOT}/build}"
OUT="${BENCH_OUT:-${HC_HOME}/bench/monday-$(date -u +%Y%m%dT%H%M%SZ)}"
for v in RSVPERS SECS CAPACITY BROWSERS BROWSE_RATE CLIENT_CPU; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || hc_die "${v}=${!v} must be a whole number"
done
((RSVPERS > 0 && SECS > 0 && BROWSE_RATE > 0)) || hc_die "RSVPERS, SECONDS, BROWSE_RATE: > 0"
((CAPACITY >= 1 && CAPACITY <= 10000)) || hc_die "BENCH_CAPACITY: 1-10000 (events' limit)"
[[ "${SHAPE}" == even || "${SHAPE}" == surge ]] || hc_die "BENCH_SHAPE: even or surge"
CLIENT_BIN="${BUILD_DIR}/bench/monday_client"
PROBE_BIN="${BUILD_DIR}/bench/kafka_probe"
hc_require_root
hc_need psql taskset python3 openssl java
bench_require_built "membership events notifications" "${CLIENT_BIN}" "${PROBE_BIN}"
mkdir -p "${OUT}"
TMP="$(mktemp -d /tmp/hc-monday-bench.XXXXXX)"
RUN="mo_$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')"
STARTED_STACK=0 PG="" DBS=() PIDS=() BENCH_TOPICS=() DB_NAME="${RUN}" SAMPLER="" PROBE=""
HOST=127.0.0.1
ISSUER="homecoming-bench"
MEETING="00000000-0000-4000-8000-00000000d0d0"
WARMUP_EVENT="00000000-0000-4000-8000-00000000d0d1"

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  set +e
  for p in "${SAMPLER}" "${PROBE}"; do [[ -n "${p}" ]] && kill "${p}" 2>/dev/null; done
  for p in "${PIDS[@]}"; do hc_stop_pid "${p}" service 30; done
  bench_release "${DBS[@]}"
  exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() { psql -X -Atq -v ON_ERROR_STOP=1 "${PG}/${RUN}_$1" -c "$2"; }

hc_steps 7
hc_step "test stack, three fresh databases, the run's topics"
bench_test_stack
PG="${HC_PG_URL_BASE}"
for s in membership events notifications; do
  psql -X -q -v ON_ERROR_STOP=1 "${PG}/postgres" -c "CREATE DATABASE \"${RUN}_${s}\"" >/dev/null \
    || hc_die "cannot create a database"
  DBS+=("${RUN}_${s}")
done
# The services publish to and consume the run's own topics: the shared ones hold every fact
# the tests left there.
bench_topics membership events volunteering probe
bench_idle_check
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${TMP}/jwt.key"
openssl rand -hex 32 >"${TMP}/data.key"
openssl rand -hex 32 >"${TMP}/unsubscribe.key"

hc_step "membership, events and notifications"
# start NAME [VAR=VALUE...]: the service on a free port; sets PORT_<NAME> and PID_<NAME>.
start() {
  local name="$1" port; shift
  env HC_GRPC_ADDR="${HOST}:0" HC_METRICS_ADDR="${HOST}:0" \
    HC_DATABASE_URL="${PG}/${RUN}_${name}" HC_REDIS_ADDR="${HC_REDIS_ADDR}" \
    HC_KAFKA_BROKERS="${HC_KAFKA_BROKERS}" HC_JWT_ISSUER="${ISSUER}" \
    HC_JWT_KEY_FILE="${TMP}/jwt.key" HC_DATA_KEY_FILE="${TMP}/data.key" \
    HC_MEMBERSHIP_TOPIC="${TOPIC_membership}" HC_EVENTS_TOPIC="${TOPIC_events}" \
    HC_VOLUNTEERING_TOPIC="${TOPIC_volunteering}" HC_CONSUMER_GROUP="${name}-${RUN}" \
    HC_LOG_LEVEL=info "$@" \
    "${BUILD_DIR}/services/${name}/${name}" >"${OUT}/${name}.log" 2>&1 &
  PIDS+=("$!")
  printf -v "PID_${name}" '%s' "$!"
  port="$(wait_for_line "${OUT}/${name}.log" 'serving gRPC on port ([0-9]+)' "$!" 120)"
  [[ -n "${port}" ]] || hc_die "${name} did not start (${OUT}/${name}.log)"
  printf -v "PORT_${name}" '%s' "${port}"
}
start membership
start events HC_MEMBERSHIP_ADDR="${HOST}:${PORT_membership}"
start notifications HC_MEMBERSHIP_ADDR="${HOST}:${PORT_membership}" \
  HC_EVENTS_ADDR="${HOST}:${PORT_events}" HC_EVENTS_CONSUMER_GROUP="n-events-${RUN}" \
  HC_VOLUNTEERING_CONSUMER_GROUP="n-volunteering-${RUN}" \
  HC_MEMBERSHIP_FACTS_CONSUMER_GROUP="n-members-${RUN}" HC_SMTP_URL="${HC_SMTP_URL}" \
  HC_UNSUBSCRIBE_KEY_FILE="${TMP}/unsubscribe.key" HC_HTTP_ADDRESS="${HOST}:0"

hc_step "seeding $((RSVPERS + BROWSERS)) members, the meeting and 30 other events (SQL)"
# Member i is the uuid whose last 12 hex digits are i, as monday_client picks its callers.
q membership "INSERT INTO members (member_id, first_name, last_name, display_name,
                email_fingerprint, time_zone)
              SELECT lpad(to_hex(i), 32, '0')::uuid, 'First' || i, 'Last' || i, 'Member ' || i,
                     decode(md5('email' || i), 'hex'), 'America/Chicago'
              FROM generate_series(1, $((RSVPERS + BROWSERS))) i; ANALYZE members" >/dev/null
q events "INSERT INTO events (event_id, title, kind, starts_at, ends_at, time_zone, venue,
            capacity, waitlist_enabled, visibility, created_by, created_at, updated_at)
          SELECT CASE WHEN i = 0 THEN '${MEETING}'::uuid
                      ELSE ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid END,
                 CASE WHEN i = 0 THEN 'Monthly alumni meeting' ELSE 'Sober social ' || i END,
                 CASE WHEN i = 0 THEN 1 ELSE 2 END, now() + (7 + i) * interval '1 day',
                 now() + (7 + i) * interval '1 day' + interval '2 hours', 'America/Chicago',
                 'Community hall', CASE WHEN i = 0 THEN ${CAPACITY} ELSE 100 END, true, 2,
                 'bench-coordinator', now(), now()
          FROM generate_series(0, 30) i;
          INSERT INTO events (event_id, title, kind, starts_at, ends_at, time_zone, venue,
            capacity, waitlist_enabled, visibility, created_by, created_at, updated_at)
          VALUES ('${WARMUP_EVENT}', 'Warm-up', 3, now() + interval '3 days',
            now() + interval '3 days 1 hour', 'UTC', 'Room 2', 100, true, 3, 'bench-coordinator',
            now(), now()); ANALYZE events" >/dev/null

hc_step "warm-up: 20 RSVPs to another event, until their inbox items are stored"
# A Monday morning finds the stack long running: the relay's producer connected, notifications'
# consumer group assigned its partitions. Without this the first second's RSVPs wait for both
# (up to a second measured) and that start-up, not the load, makes the tail.
"${CLIENT_BIN}" "${HOST}:${PORT_events}" "${TMP}/jwt.key" "${ISSUER}" "${WARMUP_EVENT}" 20 2 0 1 \
  even >"${OUT}/warmup.txt" 2>&1 || { hc_tail "${OUT}/warmup.txt"; hc_die "warm-up failed"; }
deadline=$((SECONDS + 60))
until (($(q notifications "SELECT count(*) FROM inbox_items WHERE event_id = '${WARMUP_EVENT}'") >= 20)); do
  ((SECONDS < deadline)) || hc_die "the warm-up's 20 inbox items not stored in 60 s"
  sleep 0.2
done

hc_step "load: ${RSVPERS} RSVPs over ${SECS} s (${SHAPE}), ${BROWSERS} browsers at ${BROWSE_RATE}/s"
scripts/stack.sh status --profile test >"${TMP}/stack-status.txt" 2>&1 || true
stack_pid() { awk -v n="$1" '$1 == n && $2 == "running" { print $4 }' "${TMP}/stack-status.txt"; }
pg_pid="$(stack_pid postgres)" redis_pid="$(stack_pid redis)" kafka_pid="$(stack_pid kafka)"
for p in pg_pid redis_pid kafka_pid; do
  [[ "${!p}" =~ ^[0-9]+$ && -d "/proc/${!p}" ]] || hc_die "no ${p%_pid} process found"
done
BUSY0="$(busy_ms)" T0="$(date +%s%3N)"
python3 bench/stack_usage.py "${OUT}/usage.txt" "membership=${PID_membership}" \
  "events=${PID_events}" "notifications=${PID_notifications}" "postgres=${pg_pid}" \
  "redis=${redis_pid}" "kafka=${kafka_pid}" &
SAMPLER=$!
PROBE_RATE=$(((RSVPERS + SECS - 1) / SECS))
"${PROBE_BIN}" latency "${HC_KAFKA_BROKERS}" "${TOPIC_probe}" 3 "${PROBE_RATE}" "${SECS}" \
  >"${OUT}/kafka-probe.txt" 2>&1 &
PROBE=$!
taskset -c "${CLIENT_CPU}" "${CLIENT_BIN}" "${HOST}:${PORT_events}" "${TMP}/jwt.key" \
  "${ISSUER}" "${MEETING}" "${RSVPERS}" "${SECS}" "${BROWSERS}" "${BROWSE_RATE}" "${SHAPE}" \
  >"${OUT}/client.txt" 2>"${OUT}/client.err" \
  || { hc_tail "${OUT}/client.err"; hc_die "monday_client failed"; }
wait "${PROBE}" || { hc_tail "${OUT}/kafka-probe.txt"; hc_die "kafka_probe failed"; }
PROBE=""

hc_step "waiting for every RSVP's inbox item and the outbox to drain (120 s at most)"
ROWS="$(q events "SELECT count(*) FROM rsvps WHERE event_id = '${MEETING}'")"
deadline=$((SECONDS + 120))
while :; do
  items="$(q notifications "SELECT count(*) FROM inbox_items WHERE event_id = '${MEETING}'")"
  unpublished="$(q events "SELECT count(*) FROM outbox WHERE published_at IS NULL")"
  ((items >= ROWS && unpublished == 0 || SECONDS >= deadline)) && break
  sleep 0.2
done
kill -TERM "${SAMPLER}"; wait "${SAMPLER}" || hc_warn "stack_usage.py failed"; SAMPLER=""
BUSY1="$(busy_ms)" T1="$(date +%s%3N)"

hc_step "checks and figures"
q events "SELECT lower(member_id::text), status, created_at FROM rsvps
          WHERE event_id = '${MEETING}'" >"${TMP}/rsvps.txt"
read -r R_ROWS R_MEMBERS R_GOING R_WAIT R_TICKETS EV_GOING O_CONF O_WAIT O_UNPUB <<<"$(q events "
  SELECT count(*), count(DISTINCT member_id), count(*) FILTER (WHERE status = 1),
         count(*) FILTER (WHERE status = 2),
         count(DISTINCT waitlist_seq) FILTER (WHERE status = 2),
         (SELECT going_count FROM events WHERE event_id = '${MEETING}'),
         (SELECT count(*) FROM outbox
           WHERE msg_key = '${MEETING}' AND ce_type LIKE '%.RsvpConfirmed'),
         (SELECT count(*) FROM outbox
           WHERE msg_key = '${MEETING}' AND ce_type LIKE '%.RsvpWaitlisted'),
         (SELECT count(*) FROM outbox WHERE published_at IS NULL)
  FROM rsvps WHERE event_id = '${MEETING}'" | tr '|' ' ')"
# Every RSVP beside its inbox item, in notifications' database (a temporary copy of the rows).
read -r I_ITEMS I_MISSING I_DOUBLED I_WRONG I_STRAY I_P50 I_P99 I_MAX <<<"$(psql -X -Atq \
  -v ON_ERROR_STOP=1 "${PG}/${RUN}_notifications" <<SQL | tail -n 1 | tr '|' ' '
CREATE TEMP TABLE r (member_id text, status int, at timestamptz);
\copy r FROM '${TMP}/rsvps.txt' (DELIMITER '|')
CREATE TEMP TABLE i AS SELECT member_id, kind, created_at FROM inbox_items
  WHERE event_id = '${MEETING}';
\copy (SELECT date_trunc('second', r.at), count(*), round(percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.created_at - r.at) * 1000), 1), round(max(extract(epoch FROM i.created_at - r.at) * 1000), 1) FROM r JOIN i USING (member_id) GROUP BY 1 ORDER BY 1) TO '${OUT}/inbox-latency-by-second.txt'
WITH lat AS (SELECT extract(epoch FROM i.created_at - r.at) * 1000 AS ms FROM r JOIN i USING (member_id))
SELECT (SELECT count(*) FROM i),
       (SELECT count(*) FROM r WHERE NOT EXISTS (SELECT FROM i WHERE i.member_id = r.member_id)),
       (SELECT count(*) FROM (SELECT member_id FROM i GROUP BY member_id HAVING count(*) > 1) d),
       (SELECT count(*) FROM r JOIN i USING (member_id)
         WHERE i.kind <> CASE r.status WHEN 1 THEN 'rsvp_confirmed' ELSE 'rsvp_waitlisted' END),
       (SELECT count(*) FROM i WHERE NOT EXISTS (SELECT FROM r WHERE r.member_id = i.member_id)),
       round(percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), 1),
       round(percentile_disc(0.99) WITHIN GROUP (ORDER BY ms), 1), round(max(ms), 1)
FROM lat;
SQL
)"
# The events relay's share: an RSVP's outbox row (same transaction) to its publication.
read -r O_P50 O_P99 O_MAX <<<"$(q events "
  WITH d AS (SELECT extract(epoch FROM published_at - created_at) * 1000 AS ms FROM outbox
             WHERE msg_key = '${MEETING}' AND ce_type ~ '[.]Rsvp(Confirmed|Waitlisted)$'
               AND published_at IS NOT NULL)
  SELECT round(percentile_disc(0.5) WITHIN GROUP (ORDER BY ms), 1),
         round(percentile_disc(0.99) WITHIN GROUP (ORDER BY ms), 1), round(max(ms), 1) FROM d" \
  | tr '|' ' ')"
read -r _ C_SENT C_OK C_GOING C_WAIT C_P50 C_P99 C_P999 C_MAX < <(grep '^rsvp ' "${OUT}/client.txt")
read -r K_P50 K_P99 K_GOT K_SENT <"${OUT}/kafka-probe.txt"
FAILS=()
check() { (($2)) || FAILS+=("$1"); }
WANT_GOING=$((R_ROWS < CAPACITY ? R_ROWS : CAPACITY))
check "RSVP rows (${R_ROWS}) = OK answers (${C_OK})" "R_ROWS == C_OK"
check "one row per member (${R_MEMBERS} members, ${R_ROWS} rows)" "R_MEMBERS == R_ROWS"
check "GOING (${R_GOING}) = min(capacity, rows) (${WANT_GOING})" "R_GOING == WANT_GOING"
check "WAITLISTED (${R_WAIT}) = the rest ($((R_ROWS - WANT_GOING)))" "R_WAIT == R_ROWS - WANT_GOING"
check "distinct waitlist tickets (${R_TICKETS}) = WAITLISTED" "R_TICKETS == R_WAIT"
check "events.going_count (${EV_GOING}) = GOING" "EV_GOING == R_GOING"
check "answers GOING/WAITLISTED (${C_GOING}/${C_WAIT}) = rows" \
  "C_GOING == R_GOING && C_WAIT == R_WAIT"
check "outbox RsvpConfirmed/RsvpWaitlisted (${O_CONF}/${O_WAIT}) = rows" \
  "O_CONF == R_GOING && O_WAIT == R_WAIT"
check "outbox all published (${O_UNPUB} left)" "O_UNPUB == 0"
check "no RSVP without an inbox item (${I_MISSING} missing)" "I_MISSING == 0"
check "no member with two items (${I_DOUBLED} doubled)" "I_DOUBLED == 0"
check "every item of the RSVP's kind (${I_WRONG} wrong)" "I_WRONG == 0"
check "no item without an RSVP (${I_STRAY} stray)" "I_STRAY == 0"
{
  echo "bench/monday.sh: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)," \
    "$(nproc) cores (shared), ${IDLE}% idle before; client on core ${CLIENT_CPU}, services unpinned"
  echo "${RSVPERS} RSVPs over ${SECS} s (${SHAPE}) to a ${CAPACITY}-seat meeting with a waitlist;" \
    "${BROWSERS} browsers at ${BROWSE_RATE} calls/s each"
  echo
  printf '%-44s %8s %8s %8s %8s\n' "ms" p50 p99 p99.9 max
  printf '%-44s %8s %8s %8s %8s\n' "Rsvp (${C_OK}/${C_SENT} OK)" "${C_P50}" "${C_P99}" \
    "${C_P999}" "${C_MAX}"
  while read -r _ rpc calls errors p50 p99; do
    printf '%-44s %8s %8s\n' "${rpc} (browsers; ${errors}/${calls} errors)" "${p50}" "${p99}"
  done < <(grep '^browse ' "${OUT}/client.txt")
  printf '%-44s %8s %8s %8s %8s\n' "RSVP row -> inbox item (all ${I_ITEMS})" "${I_P50}" \
    "${I_P99}" "" "${I_MAX}"
  printf '%-44s %8s %8s %8s %8s\n' "events relay: RSVP outbox row -> published" "${O_P50}" \
    "${O_P99}" "" "${O_MAX}"
  printf '%-44s %8s %8s\n' "Kafka produce -> consume (${PROBE_RATE}/s, ${K_GOT}/${K_SENT})" \
    "${K_P50}" "${K_P99}"
  echo "RSVP answers by status: $(grep '^rsvp_status ' "${OUT}/client.txt" | cut -d' ' -f2- \
    | paste -sd, -); latest send $(grep '^rsvp_send_lag_ms ' "${OUT}/client.txt" \
    | cut -d' ' -f2) ms behind its schedule"
  echo "rows: ${R_ROWS} RSVPs, ${R_GOING} GOING, ${R_WAIT} WAITLISTED; outbox ${O_CONF} + ${O_WAIT}," \
    "${O_UNPUB} unpublished; ${I_ITEMS} inbox items, ${I_MISSING} missing, ${I_DOUBLED} doubled"
  echo
  echo "from the load's start to the last inbox item, $(((T1 - T0) / 1000)) s; machine busy" \
    "$(python3 -c "print(f'{($BUSY1 - $BUSY0) / 1000:.1f}')") CPU s"
  printf '%-14s %8s %12s %13s %9s\n' process "CPU s" "RSS end MiB" "RSS peak MiB" "HWM MiB"
  while read -r name cpu end peak hwm; do
    printf '%-14s %8s %12s %13s %9s\n' "${name}" "${cpu}" "${end}" "${peak}" "${hwm}"
  done <"${OUT}/usage.txt"
  echo "(postgres: every process's Pss summed; total peak: the sum of each one's peak)"
  echo
  if ((${#FAILS[@]})); then
    printf 'LOST OR DOUBLED: %s\n' "${FAILS[@]}"
  else
    echo "nothing lost or doubled (${R_ROWS} RSVPs, ${I_ITEMS} inbox items, every check held)"
  fi
} | tee "${OUT}/summary.txt"
hc_log "reports in ${OUT}"
((${#FAILS[@]} == 0)) || hc_die "${#FAILS[@]} correctness checks failed"
