#!/usr/bin/env bash
# Benchmark of the notifications service with the real membership, events and notifications
# processes, against Kafka's own latency measured in the same run on the same broker:
#   1. RSVP -> inbox item and RSVP -> email accepted by the SMTP server (Mailpit), p50/p99, at a
#      steady rate (ghz --rps), beside build/bench/kafka_probe producing and consuming
#      timestamped messages at the same rate on a topic of its own meanwhile. Aim: inbox p99 <=
#      Kafka p99 + 10 ms. Also the events outbox relay's delay (row created -> marked published).
#   2. Fan-out: one VolunteerRolePosted matching BENCH_FANOUT_MEMBERS opted-in members -> inbox
#      items per second until all are stored, then their emails per second drained by the
#      dispatcher into Mailpit (sent rows per second), for up to BENCH_FANOUT_EMAIL_SECONDS.
#   3. The notifications process's VmRSS idle after start and at its peak under loads 1 and 2.
#
#   bench/notifications_bench.sh       # as root, after scripts/build.sh; about 2.5 minutes
#
# Members are registered through membership (ghz RegisterMember): the RSVPing members get email
# consent through UpdateConsent and are waited for in notifications' `consents` table; the
# fan-out's members (registered too, so GetContact finds their address) get their preferences
# (role_suggestions), interest tag and consent seeded in notifications' tables with SQL, as
# members_integration_test's 10,000 test does, once notifications has handled their
# registrations. Events are seeded with SQL; each RSVP is one member RSVPing to a new event.
# Latencies come from the rows' own times: events' `rsvps.created_at` (its transaction's
# start), notifications' `inbox_items.created_at` and `deliveries.sent_at` (status sent).
#
# Uses the test stack (scripts/stack.sh --profile test, with Mailpit; started and stopped again
# only when it was not running) and three fresh databases, dropped at the end. Membership and
# events publish to the shared alumni.membership.v1 / alumni.events.v1 (fixed names), so
# notifications' consumer groups of the run start at those topics' ends; the volunteering and
# probe topics are the run's own, deleted at the end.
# The services are not pinned (three services and the stack on 2 cores); ghz runs on
# BENCH_CLIENT_CPU. Figures are printed and kept in $BENCH_OUT/summary.txt, not gated.
#
# Environment:
#   BENCH_RSVP_RATE            RSVPs per second in load 1, and the Kafka probe's rate (50)
#   BENCH_RSVP_SECONDS         seconds of load 1 (30)
#   BENCH_RSVP_MEMBERS         members RSVPing, one ghz each at RATE/MEMBERS (10; the daily cap
#                              of 1000 emails a member bounds RATE*SECONDS/MEMBERS)
#   BENCH_FANOUT_MEMBERS       members the role matches in load 2 (10000)
#   BENCH_FANOUT_EMAIL_SECONDS how long load 2's emails are watched at most (60)
#   BENCH_CLIENT_CPU           core of ghz (0)
#   BENCH_BUILD_DIR            where the binaries are (build/)
#   BENCH_OUT                  reports and logs ($HC_HOME/bench/notifications-<time>)
set -euo pipefail
HC_LOG_TAG="notifications-bench"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "${HC_REPO_ROOT}"

# shellcheck source=bench/lib.sh
source "${HC_REPO_ROOT}/bench/lib.sh"
bench_help_if_asked "$@"
RATE="${BENCH_RSVP_RATE:-50}"
LOAD_SECS="${BENCH_RSVP_SECONDS:-30}"
RSVPERS="${BENCH_RSVP_MEMBERS:-10}"
FANOUT="${BENCH_FANOUT_MEMBERS:-10000}"
EMAIL_SECS="${BENCH_FANOUT_EMAIL_SECONDS:-60}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
BUILD_DIR="${BENCH_BUILD_DIR:-${HC_REPO_ROOT}/build}"
OUT="${BENCH_OUT:-${HC_HOME}/bench/notifications-$(date -u +%Y%m%dT%H%M%SZ)}"
for v in RATE LOAD_SECS RSVPERS FANOUT EMAIL_SECS CLIENT_CPU; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ || "${v}" == CLIENT_CPU && "${!v}" =~ ^[0-9]+$ ]] \
    || hc_die "${v}=${!v} must be a whole number above 0"
done
((RATE % RSVPERS == 0)) || hc_die "BENCH_RSVP_RATE must be a multiple of BENCH_RSVP_MEMBERS"
((RATE * LOAD_SECS / RSVPERS <= 1000)) || hc_die "more than 1000 emails a member (daily cap)"
PROBE_BIN="${BUILD_DIR}/bench/kafka_probe"
TOKEN_BIN="${BUILD_DIR}/libs/auth/hc-token"
hc_require_root
hc_need ghz psql taskset python3 openssl
bench_require_built "membership events notifications" "${PROBE_BIN}" "${TOKEN_BIN}"
mkdir -p "${OUT}"
TMP="$(mktemp -d /tmp/hc-notifications-bench.XXXXXX)"
RUN="nb_$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')"
STARTED_STACK=0 PG="" DBS=() PIDS=() BENCH_TOPICS=() SAMPLER=""
HOST=127.0.0.1
ISSUER="homecoming-bench"

cleanup() {
  local rc=$? p d t
  trap - EXIT INT TERM
  set +e
  [[ -n "${SAMPLER}" ]] && kill "${SAMPLER}" 2>/dev/null
  for p in "${PIDS[@]}"; do hc_stop_pid "${p}" service 30; done
  bench_release "${DBS[@]}"
  exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() { psql -X -Atq -v ON_ERROR_STOP=1 "${PG}/${RUN}_$1" -c "$2"; }
now_ms() { date +%s%3N; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# sample_rss PID FILE: the highest VmRSS (KiB) every 200 ms into FILE, until killed.
sample_rss() {
  local max=0 v
  while :; do
    v="$(rss_kib "$1" 2>/dev/null || echo 0)"
    ((v > max)) && { max="${v}"; echo "${max}" >"$2"; }
    sleep 0.2
  done
}
# wait_count SECONDS DB SQL WANT: polls until SQL counts WANT or more; prints the last count.
wait_count() {
  local deadline=$((SECONDS + $1)) n
  while :; do
    n="$(q "$2" "$3")"
    if ((n >= $4 || SECONDS >= deadline)); then echo "${n}"; return 0; fi
    sleep 0.1
  done
}
mib() { python3 -c 'import sys; print(f"{int(sys.argv[1]) / 1024:.1f}")' "$1"; }

hc_steps 7
hc_step "test stack, three fresh databases and topics"
if ! scripts/stack.sh status --profile test >/dev/null 2>&1; then
  STARTED_STACK=1
  scripts/stack.sh up --profile test >"${OUT}/stack-up.log" 2>&1 \
    || { hc_tail "${OUT}/stack-up.log"; hc_die "could not start the test stack"; }
fi
set -a
# shellcheck disable=SC1091
. "${HC_HOME}/test/stack.env"
set +a
PG="${HC_PG_URL_BASE}"
for s in membership events notifications; do
  psql -X -q -v ON_ERROR_STOP=1 "${PG}/postgres" -c "CREATE DATABASE \"${RUN}_${s}\"" >/dev/null \
    || hc_die "cannot create a database"
  DBS+=("${RUN}_${s}")
done
DB_NAME="${RUN}"  # names the topics: bench.<run>.<name>
bench_topics membership volunteering probe
IDLE="$(idle_pct)"
((IDLE >= 80)) || hc_warn "only ${IDLE}% of the CPU was idle before the run: figures are skewed"

# Membership and events publish to the shared topics (their names are fixed), where every fact
# the tests left waits; notifications' groups of this run start at their ends instead (a new
# group would read them all, measured as if they were the load).
MEMBERSHIP_TOPIC=alumni.membership.v1 EVENTS_TOPIC=alumni.events.v1
skip_to_end() {
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="${HC_HOME}/test/kafka/tools-log4j2.properties" \
    -cp "${HC_KAFKA_CLASSPATH}" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "${HC_KAFKA_BROKERS}" --reset-offsets --to-latest --execute \
    --group "$1" --topic "$2" >"${OUT}/offsets-$1.log" 2>&1 \
    || { hc_tail "${OUT}/offsets-$1.log"; hc_die "could not set group $1's offsets"; }
}
skip_to_end "n-membership-${RUN}" "${MEMBERSHIP_TOPIC}" & S1=$!
skip_to_end "n-members-${RUN}" "${MEMBERSHIP_TOPIC}" & S2=$!
skip_to_end "n-events-${RUN}" "${EVENTS_TOPIC}" & S3=$!
wait "${S1}" && wait "${S2}" && wait "${S3}"

hc_step "membership, events and notifications"
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${TMP}/jwt.key"
openssl rand -hex 32 >"${TMP}/data.key"
openssl rand -hex 32 >"${TMP}/unsubscribe.key"
COORD_TOKEN="$("${TOKEN_BIN}" --key-file "${TMP}/jwt.key" --issuer "${ISSUER}" --ttl 3600 \
  --sub bench-coordinator --roles coordinator)"
# start NAME [VAR=VALUE...]: the service on a free port; sets PORT_<NAME> and PID_<NAME>.
start() {
  local name="$1"; shift
  env HC_GRPC_ADDR="${HOST}:0" HC_METRICS_ADDR="${HOST}:0" \
    HC_DATABASE_URL="${PG}/${RUN}_${name}" HC_REDIS_ADDR="${HC_REDIS_ADDR}" \
    HC_KAFKA_BROKERS="${HC_KAFKA_BROKERS}" HC_JWT_ISSUER="${ISSUER}" \
    HC_JWT_KEY_FILE="${TMP}/jwt.key" HC_DATA_KEY_FILE="${TMP}/data.key" \
    HC_MEMBERSHIP_TOPIC="${TOPIC_membership}" HC_VOLUNTEERING_TOPIC="${TOPIC_volunteering}" HC_CONSUMER_GROUP="${name}-${RUN}" \
    HC_CACHE_TTL_SECONDS=3600 HC_LOG_LEVEL=info "$@" \
    "${BUILD_DIR}/services/${name}/${name}" >"${OUT}/${name}.log" 2>&1 &
  PIDS+=("$!")
  printf -v "PID_${name}" '%s' "$!"
  printf -v "PORT_${name}" '%s' \
    "$(wait_for_line "${OUT}/${name}.log" 'serving gRPC on port ([0-9]+)' "$!" 60)"
}
start membership
start events HC_MEMBERSHIP_ADDR="${HOST}:${PORT_membership}"
start notifications HC_MEMBERSHIP_ADDR="${HOST}:${PORT_membership}" \
  HC_MEMBERSHIP_TOPIC="${MEMBERSHIP_TOPIC}" HC_EVENTS_TOPIC="${EVENTS_TOPIC}" \
  HC_CONSUMER_GROUP="n-membership-${RUN}" \
  HC_EVENTS_ADDR="${HOST}:${PORT_events}" HC_EVENTS_CONSUMER_GROUP="n-events-${RUN}" \
  HC_VOLUNTEERING_CONSUMER_GROUP="n-volunteering-${RUN}" \
  HC_MEMBERSHIP_FACTS_CONSUMER_GROUP="n-members-${RUN}" HC_SMTP_URL="${HC_SMTP_URL}" \
  HC_UNSUBSCRIBE_KEY_FILE="${TMP}/unsubscribe.key" HC_HTTP_ADDRESS="${HOST}:0" \
  HC_DAILY_CAP=1000
NPID="${PID_notifications}"
sleep 1  # "idle after start": a second after it serves, as grpc_bench.sh measures membership
RSS_IDLE="$(rss_kib "${NPID}")"

hc_step "registering $((RSVPERS + FANOUT)) members through membership"
MEMBERSHIP_PROTO=proto/alumni/membership/v1/membership_service.proto
taskset -c "${CLIENT_CPU}" ghz --insecure --cpus 1 --import-paths proto \
  --proto "${MEMBERSHIP_PROTO}" --call alumni.membership.v1.MembershipService/RegisterMember \
  -c 16 --connections 2 -n "$((RSVPERS + FANOUT))" -t 20s \
  -m "{\"authorization\":\"Bearer ${COORD_TOKEN}\"}" \
  -d '{"first_name":"Bench","last_name":"Member","email":"bench{{.RequestNumber}}@example.test","time_zone":"UTC","program":"PROGRAM_DETOX"}' \
  --format json -o "${OUT}/register.json" "${HOST}:${PORT_membership}" 2>"${OUT}/register.err" \
  || true
MEMBERS="$(q membership "SELECT count(*) FROM members")"
((MEMBERS == RSVPERS + FANOUT)) || hc_die "only ${MEMBERS} members registered (${OUT}/register.json)"
q membership "SELECT member_id FROM members ORDER BY member_id" >"${TMP}/members.txt"
head -n "${RSVPERS}" "${TMP}/members.txt" >"${TMP}/rsvpers.txt"
tail -n +"$((RSVPERS + 1))" "${TMP}/members.txt" >"${TMP}/fanout.txt"
# Consent is the member's own to give: one call each, with their token.
while read -r member; do
  token="$("${TOKEN_BIN}" --key-file "${TMP}/jwt.key" --issuer "${ISSUER}" --ttl 3600 \
    --sub "${member}" --roles alumnus)"
  echo "${token}" >"${TMP}/token-${member}"
  taskset -c "${CLIENT_CPU}" ghz --insecure --cpus 1 --import-paths proto \
    --proto "${MEMBERSHIP_PROTO}" --call alumni.membership.v1.MembershipService/UpdateConsent \
    -c 1 -n 1 -m "{\"authorization\":\"Bearer ${token}\"}" \
    -d "{\"member_id\":\"${member}\",\"channel\":\"CONTACT_CHANNEL_EMAIL\",\"granted\":true}" \
    --format json -o "${OUT}/consent.json" "${HOST}:${PORT_membership}" 2>"${OUT}/consent.err" \
    || true
done <"${TMP}/rsvpers.txt"
# Every registration handled (its welcome item) and every consent recorded; only then the
# fan-out's projection is seeded, or a late MemberRegistered would clear its interests.
N="$(wait_count 180 notifications "SELECT count(*) FROM inbox_items WHERE kind = 'welcome'" \
  "${MEMBERS}")"
((N == MEMBERS)) || hc_die "notifications handled ${N} of ${MEMBERS} registrations in 180 s"
N="$(wait_count 60 notifications "SELECT count(*) FROM consents WHERE channel = 'email' AND granted" \
  "${RSVPERS}")"
((N == RSVPERS)) || hc_die "only ${N} of ${RSVPERS} consents reached notifications"
# GetContact gives the address only with membership's consent (the dispatcher checks at send
# time), so it is seeded there too; directly, so no MemberConsentChanged races the seeding.
psql -X -q -v ON_ERROR_STOP=1 "${PG}/${RUN}_membership" >/dev/null <<SQL
CREATE TEMP TABLE fanout (member_id uuid);
\copy fanout FROM '${TMP}/fanout.txt'
INSERT INTO member_consents AS c (member_id, channel, granted)
  SELECT member_id, 1, true FROM fanout
  ON CONFLICT (member_id, channel) DO UPDATE SET granted = true, changed_at = now();
SQL
psql -X -q -v ON_ERROR_STOP=1 "${PG}/${RUN}_notifications" >/dev/null <<SQL
CREATE TEMP TABLE fanout (member_id text);
\copy fanout FROM '${TMP}/fanout.txt'
INSERT INTO preferences (member_id, time_zone, enabled, digest, quiet_start_minute,
                         quiet_end_minute, role_suggestions, updated_at)
  SELECT member_id, 'UTC', ARRAY['events.in_app', 'events.email', 'reminders.in_app',
         'reminders.email', 'volunteering.in_app', 'volunteering.email'], '{}', 0, 0, true, now()
  FROM fanout;
INSERT INTO member_interests (member_id, tag) SELECT member_id, 'bench-fanout' FROM fanout;
INSERT INTO consents (member_id, channel, granted, changed_at)
  SELECT member_id, 'email', true, now() FROM fanout;
ANALYZE preferences; ANALYZE member_interests; ANALYZE consents;
SQL

hc_step "load 1: ${RATE} RSVPs/s for ${LOAD_SECS} s, Kafka's probe at the same rate"
TOTAL=$((RATE * LOAD_SECS))
psql -X -q -v ON_ERROR_STOP=1 "${PG}/${RUN}_events" >/dev/null <<SQL
INSERT INTO events (event_id, title, kind, starts_at, ends_at, time_zone, venue, capacity,
                    waitlist_enabled, visibility, created_by, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'Bench event ' || n, 1,
       now() + interval '30 days', now() + interval '30 days 2 hours', 'America/Chicago',
       'Bench hall', 10000, true, 2, 'bench', now(), now()
FROM generate_series(1, $((TOTAL + 1))) n;
ANALYZE events;
SQL
# Member k RSVPs to events k+1, k+1+M, ...: every RSVP a new row, every member's share alike.
python3 - "${TMP}" "${TOTAL}" "${RSVPERS}" <<'EOF'
import json, sys
tmp, total, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for k in range(m):
    json.dump([{"event_id": f"00000000-0000-4000-8000-{i:012x}"}
               for i in range(k + 1, total + 1, m)], open(f"{tmp}/rsvp-{k}.json", "w"))
EOF
echo "${RSS_IDLE}" >"${TMP}/rss1"
sample_rss "${NPID}" "${TMP}/rss1" &
SAMPLER=$!
"${PROBE_BIN}" latency "${HC_KAFKA_BROKERS}" "${TOPIC_probe}" 3 "${RATE}" "${LOAD_SECS}" \
  >"${OUT}/kafka-probe.txt" 2>&1 &
PROBE=$!
GHZ=() k=0
while read -r member; do
  token="$(cat "${TMP}/token-${member}")"
  taskset -c "${CLIENT_CPU}" ghz --insecure --cpus 1 --import-paths proto \
    --proto proto/alumni/events/v1/events_service.proto \
    --call alumni.events.v1.EventsService/Rsvp -c 2 --connections 1 \
    --rps "$((RATE / RSVPERS))" -n "$((TOTAL / RSVPERS))" -t 10s \
    -m "{\"authorization\":\"Bearer ${token}\"}" -D "${TMP}/rsvp-${k}.json" \
    --format json -o "${OUT}/rsvp-${k}.json" "${HOST}:${PORT_events}" \
    2>"${OUT}/rsvp-${k}.err" &
  GHZ+=("$!")
  k=$((k + 1))
done <"${TMP}/rsvpers.txt"
for p in "${GHZ[@]}"; do wait "${p}" || true; done
wait "${PROBE}" || { hc_tail "${OUT}/kafka-probe.txt"; hc_die "kafka_probe failed"; }
read -r K_P50 K_P99 K_GOT K_SENT <"${OUT}/kafka-probe.txt"
RSVPS="$(q events "SELECT count(*) FROM rsvps")"
ITEMS="$(wait_count 60 notifications "SELECT count(*) FROM inbox_items WHERE kind <> 'welcome'" \
  "${RSVPS}")"
SENT="$(wait_count 120 notifications "SELECT count(*) FROM deliveries WHERE channel = 'email' AND status = 'sent' AND kind <> 'welcome'" \
  "${RSVPS}")"
kill "${SAMPLER}"; wait "${SAMPLER}" 2>/dev/null || true; SAMPLER=""
RSS_LOAD1="$(cat "${TMP}/rss1")"
q events "SELECT event_id, (extract(epoch FROM created_at) * 1000)::bigint FROM rsvps" \
  >"${TMP}/rsvps.txt"
q events "SELECT (extract(epoch FROM published_at - created_at) * 1000)::numeric(12,3)
          FROM outbox WHERE ce_type LIKE '%RsvpConfirmed' AND published_at IS NOT NULL" \
  >"${TMP}/relay.txt"
q notifications "SELECT event_id, (extract(epoch FROM created_at) * 1000)::bigint
                 FROM inbox_items WHERE kind <> 'welcome'" >"${TMP}/items.txt"
q notifications "SELECT event_id, (extract(epoch FROM sent_at) * 1000)::bigint FROM deliveries
                 WHERE channel = 'email' AND status = 'sent' AND kind <> 'welcome'" \
  >"${TMP}/sent.txt"
read -r I_P50 I_P99 E_P50 E_P99 R_P50 R_P99 <<<"$(python3 - "${TMP}" <<'EOF'
import sys
tmp = sys.argv[1]
def rows(name):
    return dict(l.split("|") for l in open(f"{tmp}/{name}.txt").read().split())
rsvp = {k: int(v) for k, v in rows("rsvps").items()}
def pcts(values):
    values = sorted(values)
    if not values: return "nan nan"
    p = lambda q: values[min(len(values) - 1, int(len(values) * q))]
    return f"{p(0.5):.1f} {p(0.99):.1f}"
def lat(name):
    return pcts([int(v) - rsvp[k] for k, v in rows(name).items() if k in rsvp])
relay = [float(l) for l in open(f"{tmp}/relay.txt").read().split()]
print(lat("items"), lat("sent"), pcts(relay))
EOF
)"

hc_step "load 2: one role matching ${FANOUT} members"
ROLE="$(python3 -c 'import uuid; print(uuid.uuid4())')"
echo "$(rss_kib "${NPID}")" >"${TMP}/rss2"
sample_rss "${NPID}" "${TMP}/rss2" &
SAMPLER=$!
T0="$(now_ms)"
"${PROBE_BIN}" role-posted "${HC_KAFKA_BROKERS}" "${TOPIC_volunteering}" "${ROLE}" bench-fanout \
  "00000000-0000-4000-8000-$(printf '%012x' "$((TOTAL + 1))")" >"${OUT}/role-posted.txt" 2>&1 \
  || { hc_tail "${OUT}/role-posted.txt"; hc_die "could not produce the role"; }
ROLE_ITEMS="$(wait_count 240 notifications \
  "SELECT count(*) FROM inbox_items WHERE kind = 'role_suggested'" "${FANOUT}")"
ITEMS_DONE="$(q notifications "SELECT (extract(epoch FROM max(created_at)) * 1000)::bigint
                               FROM inbox_items WHERE kind = 'role_suggested'")"
ROLE_SENT="$(wait_count "${EMAIL_SECS}" notifications "SELECT count(*) FROM deliveries WHERE channel = 'email' AND status = 'sent' AND kind = 'role_suggested'" \
  "${FANOUT}")"
read -r EMAIL_FIRST EMAIL_LAST <<<"$(q notifications "SELECT
  (extract(epoch FROM min(sent_at)) * 1000)::bigint, (extract(epoch FROM max(sent_at)) * 1000)::bigint
  FROM deliveries WHERE channel = 'email' AND status = 'sent' AND kind = 'role_suggested'" |
  tr '|' ' ')"
kill "${SAMPLER}"; wait "${SAMPLER}" 2>/dev/null || true; SAMPLER=""
RSS_LOAD2="$(cat "${TMP}/rss2")"
HWM="$(awk '/^VmHWM/ { print $2 }' "/proc/${NPID}/status")"
q notifications "SELECT kind, channel, status, count(*) FROM deliveries GROUP BY 1, 2, 3 ORDER BY 1, 2, 3" \
  >"${OUT}/deliveries-by-status.txt"

hc_step "summary"
rate() { python3 -c 'import sys; n, a, b = map(float, sys.argv[1:]); print(f"{1000 * n / (b - a):.0f}" if b > a else "-")' "$@"; }
{
  echo "notifications bench, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)," \
    "$(nproc) cores, ${IDLE}% idle before; services and the stack unpinned, ghz on core ${CLIENT_CPU}"
  echo
  echo "load 1: ${RSVPS} RSVPs at ${RATE}/s over ${LOAD_SECS} s by ${RSVPERS} members;" \
    "${ITEMS} inbox items, ${SENT} emails sent (status sent)"
  printf '%-44s %9s %9s\n' "" "p50 ms" "p99 ms"
  printf '%-44s %9s %9s\n' "Kafka produce -> consume (probe, ${K_GOT}/${K_SENT})" "${K_P50}" "${K_P99}"
  printf '%-44s %9s %9s\n' "events relay: outbox row -> published" "${R_P50}" "${R_P99}"
  printf '%-44s %9s %9s\n' "RSVP row -> inbox item stored" "${I_P50}" "${I_P99}"
  printf '%-44s %9s %9s\n' "RSVP row -> email accepted by Mailpit" "${E_P50}" "${E_P99}"
  python3 - "${I_P99}" "${K_P99}" <<'EOF'
import sys
i, k = map(float, sys.argv[1:])
print(f"aim inbox p99 <= Kafka p99 + 10 ms: {i:.1f} vs {k + 10:.1f} ms -> margin {k + 10 - i:+.1f} ms, "
      f"ratio {i / (k + 10):.2f} ({'met' if i <= k + 10 else 'NOT met'})")
EOF
  echo
  echo "load 2: one VolunteerRolePosted matching ${FANOUT} members"
  echo "  inbox items   ${ROLE_ITEMS} stored in $(python3 -c "print(f'{(${ITEMS_DONE} - ${T0}) / 1000:.2f}')") s" \
    "from the produce: $(rate "${ROLE_ITEMS}" "${T0}" "${ITEMS_DONE}") items/s"
  echo "  emails        ${ROLE_SENT} sent within ${EMAIL_SECS} s: $(rate "${ROLE_SENT}" \
    "${EMAIL_FIRST:-0}" "${EMAIL_LAST:-0}") emails/s (first to last sent_at)"
  echo
  echo "notifications RSS  idle $(mib "${RSS_IDLE}") MiB, peak under load 1 $(mib "${RSS_LOAD1}") MiB," \
    "under load 2 $(mib "${RSS_LOAD2}") MiB (200 ms samples), VmHWM $(mib "${HWM}") MiB"
  echo "deliveries by kind, channel and status at the end:"
  sed 's/^/  /' "${OUT}/deliveries-by-status.txt"
} | tee "${OUT}/summary.txt"
hc_log "reports in ${OUT}"
