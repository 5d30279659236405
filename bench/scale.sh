#!/usr/bin/env bash
# Scale curves: how the paged reads and the role fan-out behave as the community grows.
#
# For each scale (BENCH_SCALES, default 10000 100000 1000000 rows of members, events, RSVPs,
# sign-ups and inbox items), four fresh databases are filled with SQL straight into each
# service's tables (generate_series; fast, and timed), the four services are started on them,
# and build/bench/scale_client drives each read through gRPC at a fixed modest rate
# (BENCH_RATE calls/s for BENCH_SECONDS), every call a cache miss (a different member, a
# different page; HC_CACHE_TTL_SECONDS=1): p50/p99 of
#   SearchDirectory (a name prefix), ListEvents (from a point in the coming weeks),
#   ListAttendees (a 5,000-person event), ListMyRsvps, ListRoles (by tag), ListInbox.
# Then one VolunteerRolePosted (build/bench/kafka_probe role-posted) matching BENCH_FANOUT
# members (10,000) among the community, timed until their inbox items are stored: rows/s. Then the
# milestone job over every seeded member (each celebrates, with a sobriety date sealed by
# `scale_client seal` under the run's data key): a fresh membership runs it once as it starts,
# timed by its log's timestamps: members/s and how many milestones it announced.
# The last table is each read's growth factor from the smallest to the largest scale (aim:
# <= 1.5x). See bench/README.md, "scale.sh".
#
#   bench/scale.sh                         # as root, after scripts/build.sh; ~6-8 minutes
#   BENCH_SCALES="10000 100000" bench/scale.sh
#   BENCH_READS=search BENCH_JOBS=0 bench/scale.sh   # SearchDirectory alone, no fan-out/job
#
# Uses the test stack (scripts/stack.sh --profile test; started and stopped again only when it
# was not running); the databases and the run's topics are dropped at the end. Services are
# not pinned; the client runs on BENCH_CLIENT_CPU. Figures are printed and kept in
# $BENCH_OUT/summary.txt, never gated.
#
# Environment:
#   BENCH_SCALES      rows per table, smallest first (10000 100000 1000000)
#   BENCH_RATE        calls per second of each read (50)
#   BENCH_SECONDS     seconds of each read (6)
#   BENCH_FANOUT      members a posted role matches (10000)
#   BENCH_READS       which reads, of: search list_events attendees my_rsvps list_roles inbox
#                     (all six)
#   BENCH_JOBS        1 runs the fan-out and the milestone job after the reads, 0 skips them (1)
#   BENCH_CLIENT_CPU  core of the client (0)
#   BENCH_BUILD_DIR   where the binaries are (build/)
#   BENCH_OUT         reports and logs ($HC_HOME/bench/scale-<time>)
set -euo pipefail
HC_LOG_TAG="scale-bench"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "${HC_REPO_ROOT}"

# shellcheck source=bench/lib.sh
source "${HC_REPO_ROOT}/bench/lib.sh"
bench_help_if_asked "$@"
read -r -a SCALES <<<"${BENCH_SCALES:-10000 100000 1000000}"
RATE="${BENCH_RATE:-50}"
SECS="${BENCH_SECONDS:-6}"
FANOUT="${BENCH_FANOUT:-10000}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
JOBS="${BENCH_JOBS:-1}"
[[ "${JOBS}" == 0 || "${JOBS}" == 1 ]] || hc_die "BENCH_JOBS=${JOBS} must be 0 or 1"
BUILD_DIR="${BENCH_BUILD_DIR:-${HC_REPO_ROOT}/build}"
OUT="${BENCH_OUT:-${HC_HOME}/bench/scale-$(date -u +%Y%m%dT%H%M%SZ)}"
for v in RATE SECS FANOUT CLIENT_CPU; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || hc_die "${v}=${!v} must be a whole number"
done
((${#SCALES[@]} > 0)) || hc_die "BENCH_SCALES is empty"
for n in "${SCALES[@]}"; do
  [[ "${n}" =~ ^[0-9]+$ ]] && ((n >= 10000)) || hc_die "scale ${n}: at least 10000 rows"
  ((FANOUT <= n)) || hc_die "BENCH_FANOUT=${FANOUT} is more than the scale ${n}"
done
CLIENT_BIN="${BUILD_DIR}/bench/scale_client"
PROBE_BIN="${BUILD_DIR}/bench/kafka_probe"
hc_require_root
hc_need psql taskset python3 openssl java curl
bench_require_built "membership events volunteering notifications" "${CLIENT_BIN}" "${PROBE_BIN}"
mkdir -p "${OUT}"
TMP="$(mktemp -d /tmp/hc-scale-bench.XXXXXX)"
RUN_ID="sc_$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')"
STARTED_STACK=0 PG="" DBS=() PIDS=() BENCH_TOPICS=() DB_NAME="${RUN_ID}"
HOST=127.0.0.1
ISSUER="homecoming-bench"

stop_services() {
  local p
  for p in "${PIDS[@]}"; do hc_stop_pid "${p}" service 30; done
  PIDS=()
}
drop_databases() {
  local d
  for d in "${DBS[@]}"; do
    psql -X -q "${PG}/postgres" -c "DROP DATABASE IF EXISTS \"${d}\" WITH (FORCE)" >/dev/null \
      || hc_warn "could not drop database ${d}"
  done
  DBS=()
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  stop_services
  bench_release "${DBS[@]}"
  exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() { psql -X -Atq -v ON_ERROR_STOP=1 "${PG}/${RUN}_$1" -c "$2"; }
now_ms() { date +%s%3N; }

hc_steps $((2 + (JOBS ? 5 : 3) * ${#SCALES[@]}))
hc_step "test stack, keys and the run's topics"
bench_test_stack
PG="${HC_PG_URL_BASE}"
bench_idle_check
# The services consume empty topics of this run: the shared ones hold every fact the tests left.
bench_topics membership events volunteering
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${TMP}/jwt.key"
openssl rand -hex 32 >"${TMP}/data.key"
openssl rand -hex 32 >"${TMP}/unsubscribe.key"

# start NAME [VAR=VALUE...]: the service on a free port; sets PORT_<NAME>.
start() {
  local name="$1"; shift
  env HC_GRPC_ADDR="${HOST}:0" HC_METRICS_ADDR="${HOST}:0" \
    HC_DATABASE_URL="${PG}/${RUN}_${name}" HC_REDIS_ADDR="${HC_REDIS_ADDR}" \
    HC_KAFKA_BROKERS="${HC_KAFKA_BROKERS}" HC_JWT_ISSUER="${ISSUER}" \
    HC_JWT_KEY_FILE="${TMP}/jwt.key" HC_DATA_KEY_FILE="${TMP}/data.key" \
    HC_MEMBERSHIP_TOPIC="${TOPIC_membership}" HC_EVENTS_TOPIC="${TOPIC_events}" \
    HC_VOLUNTEERING_TOPIC="${TOPIC_volunteering}" HC_CONSUMER_GROUP="${name}-${RUN}" \
    HC_CACHE_TTL_SECONDS=1 HC_LOG_LEVEL=info "$@" \
    "${BUILD_DIR}/services/${name}/${name}" >"${OUT}/${name}-${N}.log" 2>&1 &
  PIDS+=("$!")
  local port
  # hc_die inside $(...) ends only the subshell: an empty port ends the run here.
  port="$(wait_for_line "${OUT}/${name}-${N}.log" 'serving gRPC on port ([0-9]+)' "$!" 120)"
  [[ -n "${port}" ]] || hc_die "${name} did not start (${OUT}/${name}-${N}.log)"
  printf -v "PORT_${name}" '%s' "${port}"
}

# The seeds: row i of every table has the uuid whose last 12 hex digits are i (as scale_client
# picks its callers). Members 1..FANOUT are the ones a posted role matches.
seed_sql() {
  local service="$1" n="$2"
  echo "CREATE FUNCTION pg_temp.u(i bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
          AS \$\$ SELECT lpad(to_hex(i), 32, '0')::uuid \$\$;
        CREATE FUNCTION pg_temp.tag(i bigint) RETURNS text LANGUAGE sql IMMUTABLE
          AS \$\$ SELECT (ARRAY['art', 'cooking', 'crafts', 'faith', 'film', 'fitness', 'games',
                     'gardening', 'hiking', 'meditation', 'music', 'outdoors', 'parenting',
                     'peer-support', 'reading', 'running', 'sports', 'volunteering', 'writing',
                     'yoga'])[1 + i % 20] \$\$;"
  case "${service}" in
    membership)
      # Every member celebrates milestones (opted in a week ago) with a sealed sobriety date,
      # sealed by scale_client with the run's data key as membership seals it.
      echo "CREATE TEMP TABLE sealed (member_id uuid, sealed bytea); COPY sealed FROM STDIN;"
      "${CLIENT_BIN}" seal "${TMP}/data.key" "${n}"
      echo '\.'
      cat <<SQL
INSERT INTO members (member_id, first_name, last_name, display_name, email_fingerprint,
                     interests, time_zone, directory_visibility, visible_fields, sobriety_sealed,
                     celebrate_milestones, celebrating_since)
SELECT pg_temp.u(i), 'First' || i, 'Last' || i, 'Member ' || i, decode(md5('email' || i), 'hex'),
       ARRAY[pg_temp.tag(i)], 'UTC', CASE WHEN i % 3 = 0 THEN 1 ELSE 2 END, '{1,2}', s.sealed,
       true, now() - interval '7 days'
FROM generate_series(1, ${n}) i JOIN sealed s ON s.member_id = pg_temp.u(i);
SQL
    ;;
    events) cat <<SQL
INSERT INTO events (event_id, title, kind, starts_at, ends_at, time_zone, capacity,
                    waitlist_enabled, visibility, created_by, created_at, updated_at)
SELECT pg_temp.u(i), 'Event ' || i, 1 + i % 3, now() + (i - ${n} / 2) * interval '1 hour',
       now() + (i - ${n} / 2) * interval '1 hour' + interval '2 hours', 'UTC', 10000, true,
       CASE WHEN i % 10 = 0 THEN 3 ELSE 1 END, pg_temp.u(1 + (i * 13) % ${n})::text, now(), now()
FROM generate_series(1, ${n}) i;
-- The 5,000-person event (a day ahead), then one RSVP a member elsewhere.
UPDATE events SET going_count = 5000 WHERE event_id = pg_temp.u(${n} / 2 + 24);
INSERT INTO rsvps (event_id, member_id, status, created_at, updated_at)
SELECT pg_temp.u(${n} / 2 + 24), pg_temp.u(i), 1, now(), now() FROM generate_series(1, 5000) i;
INSERT INTO rsvps (event_id, member_id, status, created_at, updated_at)
SELECT pg_temp.u(1 + (i * 7) % ${n}), pg_temp.u(i), CASE WHEN i % 10 = 0 THEN 3 ELSE 1 END,
       now(), now()
FROM generate_series(1, ${n} - 5000) i WHERE 1 + (i * 7) % ${n} <> ${n} / 2 + 24;
SQL
    ;;
    volunteering) cat <<SQL
INSERT INTO roles (role_id, title, tags, max_shifts_per_person, status, created_by, created_at,
                   updated_at)
SELECT pg_temp.u(i), 'Role ' || i, ARRAY[pg_temp.tag(i)], 50,
       CASE WHEN i % 5 = 0 THEN 2 ELSE 1 END, pg_temp.u(1 + (i * 13) % ${n})::text,
       now() - i * interval '1 minute', now()
FROM generate_series(1, ${n} / 10) i;
INSERT INTO shifts (shift_id, role_id, starts_at, ends_at, time_zone, slots, created_at,
                    updated_at)
SELECT pg_temp.u(i), pg_temp.u(i), now() + (i % 1000) * interval '1 hour',
       now() + (i % 1000) * interval '1 hour' + interval '2 hours', 'UTC', 500, now(), now()
FROM generate_series(1, ${n} / 10) i;
-- Ten volunteers a shift: the member i signs up for shift 1 + i % (n / 10).
INSERT INTO signups (shift_id, role_id, member_id, status, created_at, updated_at)
SELECT pg_temp.u(1 + i % (${n} / 10)), pg_temp.u(1 + i % (${n} / 10)), pg_temp.u(i), 1, now(),
       now()
FROM generate_series(1, ${n}) i;
UPDATE shifts SET confirmed_count = 10;
SQL
    ;;
    notifications) cat <<SQL
INSERT INTO preferences (member_id, time_zone, enabled, digest, quiet_start_minute,
                         quiet_end_minute, role_suggestions, updated_at)
SELECT pg_temp.u(i)::text, 'UTC', ARRAY['events.in_app', 'volunteering.in_app'], '{}', 0, 0,
       i <= ${FANOUT}, now()
FROM generate_series(1, ${n}) i;
INSERT INTO member_interests (member_id, tag)
SELECT pg_temp.u(i)::text, CASE WHEN i <= ${FANOUT} THEN 'bench-fanout' ELSE pg_temp.tag(i) END
FROM generate_series(1, ${n}) i;
INSERT INTO inbox_items (item_id, member_id, dedupe_key, category, kind, event_id, created_at,
                         read_at)
SELECT pg_temp.u(i), pg_temp.u(1 + (i * 7) % ${n})::text, 'seed-' || i, 'events',
       'rsvp_confirmed', pg_temp.u(i), now() - i * interval '1 second',
       CASE WHEN i % 3 = 0 THEN now() END
FROM generate_series(1, ${n}) i;
SQL
    ;;
  esac
  echo "VACUUM ANALYZE;"
}

declare -A P50 P99 ERRS SEED_S FAN_RPS MILESTONE
read -r -a READS <<<"${BENCH_READS:-search list_events attendees my_rsvps list_roles inbox}"
((${#READS[@]} > 0)) || hc_die "BENCH_READS is empty"
declare -A LABEL=([search]=SearchDirectory [list_events]=ListEvents
                  [attendees]="ListAttendees (5,000)" [my_rsvps]=ListMyRsvps
                  [list_roles]=ListRoles [inbox]=ListInbox)
declare -A PORT_OF=([search]=membership [list_events]=events [attendees]=events
                    [my_rsvps]=events [list_roles]=volunteering [inbox]=notifications)
for r in "${READS[@]}"; do [[ -n "${PORT_OF[${r}]:-}" ]] || hc_die "BENCH_READS: no read ${r}"; done
T_START=${SECONDS}
for N in "${SCALES[@]}"; do
  RUN="${RUN_ID}_${N}"
  hc_step "${N} rows: databases and services"
  for s in membership events volunteering notifications; do
    psql -X -q -v ON_ERROR_STOP=1 "${PG}/postgres" -c "CREATE DATABASE \"${RUN}_${s}\"" \
      >/dev/null || hc_die "cannot create a database"
    DBS+=("${RUN}_${s}")
  done
  start membership
  start events HC_MEMBERSHIP_ADDR="${HOST}:${PORT_membership}"
  start volunteering HC_EVENTS_CONSUMER_GROUP="v-events-${RUN}"
  start notifications HC_MEMBERSHIP_ADDR="${HOST}:${PORT_membership}" \
    HC_EVENTS_ADDR="${HOST}:${PORT_events}" HC_EVENTS_CONSUMER_GROUP="n-events-${RUN}" \
    HC_VOLUNTEERING_CONSUMER_GROUP="n-volunteering-${RUN}" \
    HC_MEMBERSHIP_FACTS_CONSUMER_GROUP="n-members-${RUN}" HC_SMTP_URL="${HC_SMTP_URL}" \
    HC_UNSUBSCRIBE_KEY_FILE="${TMP}/unsubscribe.key" HC_HTTP_ADDRESS="${HOST}:0"

  hc_step "${N} rows: seeding the four databases (SQL, in parallel)"
  t0=$(now_ms) SEEDERS=()
  for s in membership events volunteering notifications; do
    seed_sql "${s}" "${N}" | psql -X -q -v ON_ERROR_STOP=1 "${PG}/${RUN}_${s}" \
      >"${OUT}/seed-${s}-${N}.log" 2>&1 &
    SEEDERS+=("$!")
  done
  for p in "${SEEDERS[@]}"; do
    wait "${p}" || { cat "${OUT}"/seed-*-"${N}".log >&2; hc_die "seeding ${N} rows failed"; }
  done
  SEED_S[${N}]="$(python3 -c "print(f'{($(now_ms) - ${t0}) / 1000:.1f}')")"
  hc_log "seeded in ${SEED_S[${N}]} s"

  hc_step "${N} rows: the reads, ${RATE}/s for ${SECS} s each"
  BIG_EVENT="00000000-0000-0000-0000-$(printf '%012x' $((N / 2 + 24)))"
  for r in "${READS[@]}"; do
    port_var="PORT_${PORT_OF[${r}]}"
    line="$(taskset -c "${CLIENT_CPU}" "${CLIENT_BIN}" "${r}" "${HOST}:${!port_var}" \
      "${TMP}/jwt.key" "${ISSUER}" "${RATE}" "${SECS}" "${N}" "${BIG_EVENT}" \
      2>"${OUT}/${r}-${N}.err")" || hc_warn "${r} at ${N}: $(tail -n 1 "${OUT}/${r}-${N}.err")"
    read -r p50 p99 calls errors <<<"${line:-nan nan 0 0}"
    P50[${r}_${N}]="${p50}" P99[${r}_${N}]="${p99}" ERRS[${r}_${N}]="${errors}/${calls}"
  done

  if ((!JOBS)); then
    FAN_RPS[${N}]="- (BENCH_JOBS=0)" MILESTONE[${N}]="- (BENCH_JOBS=0)"
    stop_services
    drop_databases
    continue
  fi
  hc_step "${N} rows: one role matching ${FANOUT} members"
  ROLE="00000000-0000-0000-0001-$(printf '%012x' "${N}")"
  t0=$(now_ms)
  "${PROBE_BIN}" role-posted "${HC_KAFKA_BROKERS}" "${TOPIC_volunteering}" "${ROLE}" \
    bench-fanout "00000000-0000-0000-0000-000000000001" >"${OUT}/role-posted-${N}.txt" 2>&1 \
    || { hc_tail "${OUT}/role-posted-${N}.txt"; hc_die "could not produce the role"; }
  deadline=$((SECONDS + 120)) got=0
  while ((SECONDS < deadline)); do
    got="$(q notifications "SELECT count(*) FROM inbox_items WHERE role_id = '${ROLE}'")"
    ((got >= FANOUT)) && break
    sleep 0.1
  done
  took=$(($(now_ms) - t0))
  ((got >= FANOUT)) || hc_warn "fan-out at ${N}: ${got} of ${FANOUT} items after 120 s"
  FAN_RPS[${N}]="$(python3 -c "print(f'{${got} * 1000 / max(${took}, 1):.0f}')") (${got} in ${took} ms)"

  hc_step "${N} rows: the milestone job over ${N} members"
  # A fresh membership on the same database: its job runs once as it starts (then not for a
  # day). Timed by the log's own timestamps, from the "serving" line (logged just after the
  # job's thread starts) to "milestone job: announced"; when nothing was announced, from the
  # launch to the first finished run in its metrics (start-up included).
  stop_services
  MS_LOG="${OUT}/membership-milestones-${N}.log"
  t0=$(now_ms)
  env HC_GRPC_ADDR="${HOST}:0" HC_METRICS_ADDR="${HOST}:0" \
    HC_DATABASE_URL="${PG}/${RUN}_membership" HC_REDIS_ADDR="${HC_REDIS_ADDR}" \
    HC_KAFKA_BROKERS="${HC_KAFKA_BROKERS}" HC_JWT_ISSUER="${ISSUER}" \
    HC_JWT_KEY_FILE="${TMP}/jwt.key" HC_DATA_KEY_FILE="${TMP}/data.key" \
    HC_MEMBERSHIP_TOPIC="${TOPIC_membership}" HC_MILESTONE_INTERVAL_SECONDS=86400 \
    HC_LOG_LEVEL=info "${BUILD_DIR}/services/membership/membership" >"${MS_LOG}" 2>&1 &
  PIDS+=("$!")
  ms_pid=$!
  metrics_port="$(wait_for_line "${MS_LOG}" 'metrics on port ([0-9]+)' "${ms_pid}" 120)"
  [[ -n "${metrics_port}" ]] || hc_die "membership did not start (${MS_LOG})"
  started=$(($(now_ms) - t0)) runs=0
  deadline=$((SECONDS + 600))
  while ((SECONDS < deadline)); do
    runs="$(curl -fsS "http://${HOST}:${metrics_port}/metrics" 2>/dev/null \
      | awk '/^hc_membership_milestone_runs_total\{result="(ok|error)"\}/ {s += $2} END {print s + 0}')"
    ((runs >= 1)) && break
    sleep 0.02
  done
  took=$(($(now_ms) - t0))
  took="$(python3 - "${MS_LOG}" "${took}" <<'EOF'
import datetime, json, sys
ts = {}
for line in open(sys.argv[1]):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    for key in ("serving gRPC", "milestone job: announced"):
        if key in rec.get("msg", "") and key not in ts:
            ts[key] = datetime.datetime.fromisoformat(rec["ts"].replace("Z", "+00:00"))
if len(ts) == 2:
    print(round((ts["milestone job: announced"] - ts["serving gRPC"]).total_seconds() * 1000))
else:
    print(sys.argv[2])
EOF
)"
  if ((runs >= 1)); then
    announced="$(q membership "SELECT count(*) FROM member_milestones")"
    errors="$(grep -c 'milestone job:.*[Ee]rror\|milestone job: [A-Z_]*:' "${MS_LOG}" || true)"
    MILESTONE[${N}]="$(python3 -c "print(f'{${N} * 1000 / max(${took}, 1):.0f}')") (${N} members in ${took} ms, ${announced} announced, ${errors} errors, serving after ${started} ms)"
  else
    hc_warn "milestone job at ${N}: no finished run after 600 s"
    MILESTONE[${N}]="- (no run finished in 600 s)"
  fi
  stop_services
  drop_databases
done
TOTAL_S=$((SECONDS - T_START))

SMALL="${SCALES[0]}" LARGE="${SCALES[-1]}"
growth() {
  python3 -c 'import sys
a, b = sys.argv[1:]
try: print(f"{float(b) / float(a):.2f}x")
except (ValueError, ZeroDivisionError): print("-")' "$1" "$2"
}
{
  echo "bench/scale.sh: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)," \
    "$(nproc) cores, ${IDLE}% idle before"
  echo "each read ${RATE} calls/s for ${SECS} s, every call a cache miss; client on core" \
    "${CLIENT_CPU}; services not pinned"
  echo
  printf '%-22s' "p50 / p99 ms"
  for n in "${SCALES[@]}"; do printf ' %20s' "${n} rows"; done
  printf ' %14s\n' "p50 ${SMALL}->${LARGE}"
  for r in "${READS[@]}"; do
    printf '%-22s' "${LABEL[${r}]}"
    for n in "${SCALES[@]}"; do printf ' %20s' "${P50[${r}_${n}]} / ${P99[${r}_${n}]}"; done
    printf ' %14s\n' "$(growth "${P50[${r}_${SMALL}]}" "${P50[${r}_${LARGE}]}")"
  done
  printf '%-22s' "errors/calls"
  for n in "${SCALES[@]}"; do
    e=""
    for r in "${READS[@]}"; do e+="${ERRS[${r}_${n}]%%/*}+"; done
    printf ' %20s' "${e%+}"
  done
  echo
  printf '%-22s' "fan-out items/s"
  for n in "${SCALES[@]}"; do printf ' %20s' "${FAN_RPS[${n}]%% *}"; done
  echo
  printf '%-22s' "milestone members/s"
  for n in "${SCALES[@]}"; do printf ' %20s' "${MILESTONE[${n}]%% *}"; done
  echo
  printf '%-22s' "seeding s"
  for n in "${SCALES[@]}"; do printf ' %20s' "${SEED_S[${n}]}"; done
  echo
  echo
  for n in "${SCALES[@]}"; do echo "fan-out at ${n}: ${FAN_RPS[${n}]}"; done
  for n in "${SCALES[@]}"; do echo "milestone job at ${n}: ${MILESTONE[${n}]}"; done
  echo "whole run: ${TOTAL_S} s (aim: under 600)"
} | tee "${OUT}/summary.txt"
