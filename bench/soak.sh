#!/usr/bin/env bash
# Memory soak: the events service's resident memory (VmRSS) as it answers millions of cached
# GetEvent calls, driven by h2load (the server on BENCH_SERVER_CPU, h2load on BENCH_CLIENT_CPU).
# Prints the RSS idle and after every BENCH_ROUND_CALLS calls, then the growth per million calls
# over the second half of the run: near 0 means flat (a leak grows linearly with the calls;
# allocator fragmentation grows early and levels off). With BENCH_ARENAS set it runs a second
# time with glibc's MALLOC_ARENA_MAX at that value, to tell the two apart.
#
#   bench/soak.sh                        # test stack running; about 3 minutes
#   BENCH_ROUNDS=20 bench/soak.sh        # 10 million calls
#   BENCH_ARENAS=2 bench/soak.sh         # and again with MALLOC_ARENA_MAX=2
#
# Uses the test stack (started and stopped again only when it was not running) and a fresh
# database (dropped). Figures are printed and kept in $BENCH_OUT/summary.txt, never gated.
#
# Environment:
#   BENCH_ROUNDS        rounds of calls (default 6)
#   BENCH_ROUND_CALLS   calls a round (default 500000)
#   BENCH_ARENAS        also run with MALLOC_ARENA_MAX=<this> (default: not)
#   BENCH_SERVER_CPU    core of the server (default 1)
#   BENCH_CLIENT_CPU    core of h2load (default 0)
#   BENCH_BUILD_DIR     where the binaries are (default build/)
#   BENCH_OUT           where the output goes (default $HC_HOME/bench/soak-<time>)
set -euo pipefail
HC_LOG_TAG="soak"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "${HC_REPO_ROOT}"
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_help_if_asked "$@"

ROUNDS="${BENCH_ROUNDS:-6}"
ROUND_CALLS="${BENCH_ROUND_CALLS:-500000}"
ARENAS="${BENCH_ARENAS:-}"
SERVER_CPU="${BENCH_SERVER_CPU:-1}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
BUILD_DIR="${BENCH_BUILD_DIR:-${HC_REPO_ROOT}/build}"
OUT="${BENCH_OUT:-${HC_HOME}/bench/soak-$(date -u +%Y%m%dT%H%M%SZ)}"
for v in ROUNDS ROUND_CALLS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || hc_die "${v}=${!v} must be a positive whole number"
done
[[ -z "${ARENAS}" || "${ARENAS}" =~ ^[1-9][0-9]*$ ]] || hc_die "BENCH_ARENAS=${ARENAS} must be a positive whole number"
EVENTS_BIN="${BUILD_DIR}/services/events/events"
TOKEN_BIN="${BUILD_DIR}/libs/auth/hc-token"
for bin in "${EVENTS_BIN}" "${TOKEN_BIN}"; do
  [[ -x "${bin}" ]] || hc_die "${bin} not built; run scripts/build.sh"
done
hc_need h2load protoc psql python3 taskset
mkdir -p "${OUT}"
TMP="$(mktemp -d)"
HOST=127.0.0.1
ISSUER=homecoming-soak
EID=00000000-0000-4000-8000-000000000001

STARTED_STACK=0
SERVER_PID=""
DATABASES=()
soak_cleanup() {
  local rc=$? db
  trap - EXIT INT TERM
  [[ -n "${SERVER_PID}" ]] && hc_stop_pid "${SERVER_PID}" events 30
  for db in "${DATABASES[@]}"; do
    psql -X -q "${PG}/postgres" -c "DROP DATABASE IF EXISTS \"${db}\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "${TMP}"
  if ((STARTED_STACK)); then scripts/stack.sh down --profile test >/dev/null 2>&1; fi
  exit "${rc}"
}
trap soak_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_test_stack
PG="${HC_PG_URL_BASE}"
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${TMP}/jwt.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${TMP}/data.key"
TOKEN="$("${TOKEN_BIN}" --key-file "${TMP}/jwt.key" --issuer "${ISSUER}" --ttl 86400 \
  --sub 11111111-1111-4111-8111-111111111111 --roles alumnus)"
# The request once, gRPC-framed (0 = not compressed, then the length, big-endian).
protoc -I proto -I /usr/include --encode=alumni.events.v1.GetEventRequest \
  proto/alumni/events/v1/events_service.proto <<<"event_id: \"${EID}\"" >"${TMP}/get.pb"
python3 -c 'import struct, sys
b = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(struct.pack(">BI", 0, len(b)) + b)' \
  "${TMP}/get.pb" "${TMP}/get.bin"
bench_idle_check

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# soak LABEL [VAR=VALUE...]: one run of events with those extra settings; appends its line to
# the summary.
soak() {
  local label="$1"; shift
  local db; db="soak_${label}_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  psql -X -q -v ON_ERROR_STOP=1 "${PG}/postgres" -c "CREATE DATABASE \"${db}\"" >/dev/null
  DATABASES+=("${db}")
  env HC_GRPC_ADDR="${HOST}:0" HC_METRICS_ADDR="${HOST}:0" HC_DATABASE_URL="${PG}/${db}" \
    HC_REDIS_ADDR="${HC_REDIS_ADDR}" HC_KAFKA_BROKERS="${HC_KAFKA_BROKERS}" \
    HC_CONSUMER_GROUP="events-soak-${db}" HC_JWT_ALG=HS256 HC_JWT_ISSUER="${ISSUER}" \
    HC_JWT_KEY_FILE="${TMP}/jwt.key" HC_DATA_KEY_FILE="${TMP}/data.key" HC_WORKERS=16 \
    HC_DB_POOL_SIZE=8 HC_WORK_QUEUE=4096 HC_CACHE_TTL_SECONDS=86400 HC_LOG_LEVEL=info "$@" \
    taskset -c "${SERVER_CPU}" "${EVENTS_BIN}" >"${OUT}/events-${label}.log" 2>&1 &
  SERVER_PID=$!
  local port
  port="$(wait_for_line "${OUT}/events-${label}.log" 'serving gRPC on port ([0-9]+)' "${SERVER_PID}" 60)"
  psql -X -q -v ON_ERROR_STOP=1 "${PG}/${db}" >/dev/null <<SQL
INSERT INTO events (event_id, title, kind, starts_at, ends_at, time_zone, venue, capacity,
                    waitlist_enabled, visibility, created_by, created_at, updated_at)
VALUES ('${EID}', 'Soak', 1, now() + interval '30 days', now() + interval '30 days 2 hours',
        'UTC', 'Hall', 100, true, 2, 'soak', now(), now());
SQL
  local samples=("$(rss_kb "${SERVER_PID}")") round
  hc_log "${label}: idle ${samples[0]} kB; ${ROUNDS} rounds of ${ROUND_CALLS} GetEvent calls"
  for ((round = 1; round <= ROUNDS; round++)); do
    taskset -c "${CLIENT_CPU}" h2load -n "${ROUND_CALLS}" -c 4 -m 16 -t 1 -d "${TMP}/get.bin" \
      -H "content-type: application/grpc" -H "te: trailers" -H "authorization: Bearer ${TOKEN}" \
      "http://${HOST}:${port}/alumni.events.v1.EventsService/GetEvent" >"${OUT}/h2load-${label}-${round}.log" 2>&1 \
      || { hc_tail "${OUT}/h2load-${label}-${round}.log"; hc_die "h2load failed"; }
    grep -q "${ROUND_CALLS} succeeded" "${OUT}/h2load-${label}-${round}.log" \
      || { hc_tail "${OUT}/h2load-${label}-${round}.log"; hc_die "${label}: calls failed in round ${round}"; }
    samples+=("$(rss_kb "${SERVER_PID}")")
  done
  hc_stop_pid "${SERVER_PID}" events 30
  SERVER_PID=""
  python3 - "${label}" "${ROUND_CALLS}" "${samples[@]}" >>"${OUT}/summary.txt" <<'PY'
import sys
label, per_round, kb = sys.argv[1], int(sys.argv[2]), [int(x) for x in sys.argv[3:]]
rounds = len(kb) - 1
cols = " ".join(f"{kb[i] / 1024:6.1f}" for i in range(len(kb)))
# Growth over the second half of the rounds (after the warm-up has filled what it fills).
first = rounds // 2
calls = (rounds - first) * per_round
growth = (kb[-1] - kb[first]) * 1024 / calls if calls else 0.0
print(f"{label:<10} {cols}")
print(f"{'':<10} growth over the last {rounds - first} rounds: {growth * 1e6 / 1024:.1f} KiB per million calls"
      f" ({growth:.4f} bytes a call)")
PY
}

{
  echo "soak: events VmRSS (MiB) idle, then after each round of ${ROUND_CALLS} cached GetEvent calls"
  echo "$(nproc) cores, ${IDLE}% idle before, commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- services libs || echo ' (modified)'), $(date -u +%FT%H:%MZ)"
} >"${OUT}/summary.txt"
soak default
[[ -z "${ARENAS}" ]] || soak "arenas${ARENAS}" MALLOC_ARENA_MAX="${ARENAS}"
cat "${OUT}/summary.txt"
hc_log "output in ${OUT}"
