#!/usr/bin/env bash
# gRPC benchmark of the membership service against a ceiling measured in the same run: a bare
# C++ gRPC echo server (bench/echo_server.cc) on the same core, driven by the same ghz load.
#
#   bench/grpc_bench.sh
#
# One run: starts the test stack (unless it already runs) and a fresh database, then, one
# after the other on the server core, the echo server and membership; ghz runs on the other
# core. Measures Echo (the ceiling), GetMember (served from Redis) and RegisterMember (a new
# member per call: PostgreSQL transaction + outbox), prints a table with the ratios to the
# ceiling, where the CPU went and membership's memory, and cleans up everything it started.
# Figures are printed, not gated: it fails only when a run has more than BENCH_MAX_ERROR_PCT
# errors, or on a setup problem. See bench/README.md.
#
# Environment:
#   BENCH_SECONDS         measured seconds per RPC (default 10)
#   BENCH_WARMUP_SECONDS  unmeasured warm-up before each (default 3)
#   BENCH_CONCURRENCY     concurrent ghz workers (default 50)
#   BENCH_CONNECTIONS     HTTP/2 connections they share (default 4)
#   BENCH_SERVER_CPU      core of the servers (default 1)
#   BENCH_CLIENT_CPU      core of ghz (default 0)
#   BENCH_WORKERS         membership HC_WORKERS (default 16, the service default)
#   BENCH_DB_POOL_SIZE    membership HC_DB_POOL_SIZE (default 16, the service default)
#   BENCH_MAX_ERROR_PCT   error share above which the run fails (default 1)
#   BENCH_BUILD_DIR       where the binaries are (default build/)
#   BENCH_OUT             where ghz's JSON reports, the logs and summary.txt are kept
#                         (default "$HC_HOME/bench/grpc-<UTC time>")
#   HC_HOME               default /var/tmp/homecoming
#   Other HC_* settings of membership (e.g. HC_WORK_QUEUE) pass through to it.
# Needs root (scripts/stack.sh does), ghz, grpcurl, psql, redis-cli, curl, taskset, python3
# and two cores.
set -euo pipefail
HC_LOG_TAG="bench"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "${HC_REPO_ROOT}"

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
  exit 0
fi
(($# == 0)) || hc_die "no arguments expected (settings are environment variables, see --help)"

SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
WARMUP_SECONDS="${BENCH_WARMUP_SECONDS:-3}"
CONCURRENCY="${BENCH_CONCURRENCY:-50}"
CONNECTIONS="${BENCH_CONNECTIONS:-4}"
SERVER_CPU="${BENCH_SERVER_CPU:-1}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
WORKERS="${BENCH_WORKERS:-16}"
DB_POOL_SIZE="${BENCH_DB_POOL_SIZE:-16}"
MAX_ERROR_PCT="${BENCH_MAX_ERROR_PCT:-1}"
BUILD_DIR="${BENCH_BUILD_DIR:-${HC_REPO_ROOT}/build}"
RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${BENCH_OUT:-${HC_HOME}/bench/grpc-${RUN_ID}}"

for v in SECONDS_PER_RUN WARMUP_SECONDS CONCURRENCY CONNECTIONS SERVER_CPU CLIENT_CPU \
    WORKERS DB_POOL_SIZE; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || hc_die "${v}=${!v} must be a whole number"
done
((SECONDS_PER_RUN > 0 && CONCURRENCY > 0 && CONNECTIONS > 0)) \
  || hc_die "BENCH_SECONDS, BENCH_CONCURRENCY and BENCH_CONNECTIONS must be > 0"
((SERVER_CPU != CLIENT_CPU)) || hc_die "BENCH_SERVER_CPU and BENCH_CLIENT_CPU must differ"
[[ "${MAX_ERROR_PCT}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || hc_die "BENCH_MAX_ERROR_PCT must be a number"

ECHO_BIN="${BUILD_DIR}/bench/echo_server"
MEMBERSHIP_BIN="${BUILD_DIR}/services/membership/membership"
TOKEN_BIN="${BUILD_DIR}/libs/auth/hc-token"
ECHO_PROTO="proto/homecoming/testing/v1/echo.proto"
ECHO_CALL="homecoming.testing.v1.EchoService/Echo"
MEMBERSHIP_PROTO="proto/alumni/membership/v1/membership_service.proto"
MEMBERSHIP_SVC="alumni.membership.v1.MembershipService"
JWT_ISSUER="homecoming-bench"
HOST=127.0.0.1
CLK_TCK="$(getconf CLK_TCK)"

hc_require_root
hc_need ghz grpcurl psql redis-cli curl taskset python3
for b in "${ECHO_BIN}" "${MEMBERSHIP_BIN}" "${TOKEN_BIN}"; do
  [[ -x "${b}" ]] || hc_die "${b} not built; run scripts/build.sh"
done
taskset -c "${SERVER_CPU},${CLIENT_CPU}" true 2>/dev/null \
  || hc_die "cores ${CLIENT_CPU} and ${SERVER_CPU} are not both usable here (nproc: $(nproc))"

# --- cleanup -------------------------------------------------------------------------------
STARTED_STACK=0
DB_NAME=""
PG_URL_BASE=""
ECHO_PID=""
MEMBERSHIP_PID=""
SAMPLER_PID=""
CACHE_KEY=""
TMP="$(mktemp -d /tmp/hc-bench.XXXXXX)"

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [[ -n "${SAMPLER_PID}" ]]; then
    kill "${SAMPLER_PID}" 2>/dev/null
    wait "${SAMPLER_PID}" 2>/dev/null
  fi
  if [[ -n "${MEMBERSHIP_PID}" ]]; then hc_stop_pid "${MEMBERSHIP_PID}" membership 30; fi
  if [[ -n "${ECHO_PID}" ]]; then hc_stop_pid "${ECHO_PID}" echo_server 10; fi
  if [[ -n "${CACHE_KEY}" ]]; then
    redis-cli -h "${HC_REDIS_ADDR%:*}" -p "${HC_REDIS_ADDR##*:}" DEL "${CACHE_KEY}" >/dev/null 2>&1
  fi
  if [[ -n "${DB_NAME}" ]]; then
    hc_log "dropping database ${DB_NAME}"
    psql -X -q -v ON_ERROR_STOP=1 "${PG_URL_BASE}/postgres" \
      -c "DROP DATABASE IF EXISTS \"${DB_NAME}\" WITH (FORCE)" >/dev/null \
      || hc_warn "could not drop database ${DB_NAME}"
  fi
  if ((STARTED_STACK)); then
    hc_log "stopping the test stack (this run started it)"
    scripts/stack.sh down --profile test >"${OUT}/stack-down.log" 2>&1 \
      || hc_warn "scripts/stack.sh down --profile test failed (see ${OUT}/stack-down.log)"
  fi
  rm -rf "${TMP}"
  exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers -------------------------------------------------------------------------------
# wait_for_line FILE REGEX PID SECONDS: prints the first capture group of REGEX in FILE.
wait_for_line() {
  local file="$1" regex="$2" pid="$3" secs="$4" deadline line
  deadline=$((SECONDS + secs))
  while :; do
    line="$(grep -Eo -m1 "${regex}" "${file}" 2>/dev/null || true)"
    if [[ -n "${line}" ]]; then
      sed -E "s/.*${regex}.*/\\1/" <<<"${line}"
      return 0
    fi
    if hc_pid_gone "${pid}"; then hc_tail "${file}"; hc_die "pid ${pid} exited (log: ${file})"; fi
    if ((SECONDS >= deadline)); then
      hc_tail "${file}"
      hc_die "no '${regex}' in ${file} after ${secs}s"
    fi
    sleep 0.2
  done
}

affinity() { taskset -pc "$1" | sed 's/.*: //'; }

# proc_kb PID FIELD: a /proc/PID/status field (VmRSS, VmHWM) in kB.
proc_kb() {
  local key value _
  while read -r key value _; do
    if [[ "${key}" == "$2:" ]]; then printf '%s\n' "${value}"; return 0; fi
  done <"/proc/$1/status"
  return 1
}

# Records the highest VmRSS of PID into FILE every 200 ms until PID exits or it is killed.
sample_rss() {
  local pid="$1" file="$2" peak=0 kb
  while kb="$(proc_kb "${pid}" VmRSS 2>/dev/null)"; do
    if ((kb > peak)); then peak="${kb}"; printf '%s\n' "${peak}" >"${file}"; fi
    sleep 0.2
  done
}

# proc_cpu_ms PID: CPU time (user + system) PID has used, in ms.
proc_cpu_ms() {
  local stat f
  read -r stat <"/proc/$1/stat"
  read -r -a f <<<"${stat##*) }"  # f[0] is field 3 (state): utime is f[11], stime f[12]
  echo $(((f[11] + f[12]) * 1000 / CLK_TCK))
}

# children_cpu_ms FILE: CPU time used by this shell's finished children, in ms. `times` must
# run in this shell, not in a $(...) subshell: call it plainly and read FILE.
children_cpu_ms() {
  times >"${TMP}/times"
  awk 'NR == 2 { for (i = 1; i <= NF; i++) { split($i, p, "m"); sub("s", "", p[2]);
                                             t += p[1] * 60 + p[2] }
                 printf "%d\n", t * 1000 }' "${TMP}/times" >"$1"
}

# core_ticks N: "busy total" jiffies of core N so far (busy = all but idle and iowait).
core_ticks() {
  local f total=0 i
  read -r -a f < <(grep "^cpu$1 " /proc/stat)
  for ((i = 1; i < ${#f[@]}; i++)); do total=$((total + f[i])); done
  echo "$((total - f[4] - f[5])) ${total}"
}

# busy_pct "BUSY0 TOTAL0" "BUSY1 TOTAL1": % of the interval the core was busy.
busy_pct() {
  local b0 t0 b1 t1
  read -r b0 t0 <<<"$1"
  read -r b1 t1 <<<"$2"
  echo $((t1 > t0 ? 100 * (b1 - b0) / (t1 - t0) : 0))
}

# idle_pct: share of the whole machine's CPU time idle over one second.
idle_pct() {
  local -a a b  # the "cpu" line: label, user, nice, system, idle, iowait, ...
  local total=0 i
  read -r -a a </proc/stat
  sleep 1
  read -r -a b </proc/stat
  for ((i = 1; i < ${#b[@]}; i++)); do total=$((total + b[i] - a[i])); done
  echo $((total > 0 ? 100 * (b[4] + b[5] - a[4] - a[5]) / total : 0))
}

now_ms() { echo $((${EPOCHREALTIME/[.,]/} / 1000)); }

# cpu_snapshot FILE: CPU ticks of every process (pid comm ticks), plus a "[softirq]" line
# for the time the kernel spent on interrupts (loopback networking) across all cores.
cpu_snapshot() {
  local stat rest f p comm
  {
    for p in /proc/[0-9]*; do
      # read, not $(<file): with set -e, bash 5.2 exits when $(<file) can't open the file
      # (the process ended), even on the left of ||.
      { read -r stat <"${p}/stat"; } 2>/dev/null || continue
      comm="${stat#*(}" comm="${comm%)*}" rest="${stat##*) }"
      read -r -a f <<<"${rest}"
      printf '%s %s %s\n' "${p#/proc/}" "${comm// /_}" "$((f[11] + f[12]))"
    done
    read -r -a f </proc/stat
    printf '0 [softirq] %s\n' "$((f[6] + f[7]))"
  } >"$1"
}

# cpu_usage BEFORE AFTER MS: "percent name" lines, biggest first: the CPU each command name
# used between two snapshots, in % of one core (processes that started meanwhile count from
# zero; those that also ended meanwhile are missed).
cpu_usage() {
  awk -v ms="$3" -v hz="${CLK_TCK}" '
    NR == FNR { before[$1] = $3; next }
    { sub(/[\/:].*/, "", $2); used[$2] += $3 - ($1 in before ? before[$1] : 0) }
    END {
      for (c in used) if (used[c] > 0) printf "%d %s\n", 100 * used[c] * 1000 / hz / ms, c
    }' "$1" "$2" | sort -rn
}

# cpu_top FILE: the biggest users in a cpu_usage file, on one line.
cpu_top() { awk '$1 >= 3 { printf "%s%s %d%%", (n++ ? ", " : ""), $2, $1 }' "$1"; }

# cpu_other FILE NAME...: total % of the users in a cpu_usage file not named (kernel
# threads aside), then the biggest of them.
cpu_other() {
  local file="$1"
  shift
  awk -v expected="$* kworker ksoftirqd rcu_preempt migration" '
    BEGIN { n = split(expected, e, " "); for (i = 1; i <= n; i++) known[e[i]] = 1 }
    !($2 in known) { total += $1; if ($1 >= 3) top = top (top ? ", " : "") $2 " " $1 "%" }
    END { printf "%d %s\n", total, top }' "${file}"
}
mib() { awk -v kb="$1" 'BEGIN { printf "%.1f MiB", kb / 1024 }'; }

# Connections Redis has accepted so far (all clients; the test stack's Redis is shared).
redis_connections() {
  redis-cli -h "${HC_REDIS_ADDR%:*}" -p "${HC_REDIS_ADDR##*:}" INFO stats 2>/dev/null \
    | sed -n 's/^total_connections_received:\([0-9]*\).*/\1/p'
}

# ghz_run NAME WARMUP(0|1) SERVER_PID ADDR PROTO CALL DATA [METADATA]: one fixed-duration run
# on the client core. The JSON report goes to $OUT/NAME.json (warm-ups to NAME.warmup.json);
# for measured runs $OUT/NAME.cpu gets, in % of one core: the server process, ghz, and how
# busy the server and client cores were (by anything) meanwhile.
ghz_run() {
  local name="$1" warmup="$2" server_pid="$3" addr="$4" proto="$5" call="$6" data="$7"
  local metadata="${8:-}" secs="${SECONDS_PER_RUN}" file="${OUT}/${name}.json"
  if ((warmup)); then secs="${WARMUP_SECONDS}" file="${OUT}/${name}.warmup.json"; fi
  ((secs > 0)) || return 0
  local args=(--insecure --cpus 1 --proto "${proto}" --import-paths proto --call "${call}"
              -d "${data}" -c "${CONCURRENCY}" --connections "${CONNECTIONS}" -z "${secs}s"
              --duration-stop wait -t 10s --format json -o "${file}")
  if [[ -n "${metadata}" ]]; then args+=(-m "${metadata}"); fi
  local t0 s0 c0 t1 s1 c1 sc0 sc1 cc0 cc1
  cpu_snapshot "${TMP}/procs0"
  children_cpu_ms "${TMP}/c0"
  s0="$(proc_cpu_ms "${server_pid}")" t0="$(now_ms)"
  sc0="$(core_ticks "${SERVER_CPU}")" cc0="$(core_ticks "${CLIENT_CPU}")"
  taskset -c "${CLIENT_CPU}" ghz "${args[@]}" "${addr}" 2>"${OUT}/${name}.ghz.err" || true
  sc1="$(core_ticks "${SERVER_CPU}")" cc1="$(core_ticks "${CLIENT_CPU}")"
  if hc_pid_gone "${server_pid}"; then
    hc_die "the server (pid ${server_pid}) exited during the ${name} run; see its log in ${OUT}"
  fi
  t1="$(now_ms)" s1="$(proc_cpu_ms "${server_pid}")"
  children_cpu_ms "${TMP}/c1"
  cpu_snapshot "${TMP}/procs1"
  c0="$(<"${TMP}/c0")" c1="$(<"${TMP}/c1")"
  if [[ ! -s "${file}" ]]; then
    hc_tail "${OUT}/${name}.ghz.err"
    hc_die "ghz produced no report for ${name}"
  fi
  # The report lists every call ("details", ~60 bytes each); the summary is what is kept.
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1])); r.pop("details", None); json.dump(r, open(sys.argv[1], "w"))' \
    "${file}"
  if ((!warmup)); then
    echo "$((100 * (s1 - s0) / (t1 - t0))) $((100 * (c1 - c0) / (t1 - t0)))" \
      "$(busy_pct "${sc0}" "${sc1}") $(busy_pct "${cc0}" "${cc1}")" >"${OUT}/${name}.cpu"
    cpu_usage "${TMP}/procs0" "${TMP}/procs1" "$((t1 - t0))" >"${OUT}/${name}.usage"
  fi
}

# ghz_summary FILE: "rps p50_ms p99_ms errors count", then the kinds of errors on stderr.
ghz_summary() {
  python3 - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
count = int(r.get("count") or 0)
codes = r.get("statusCodeDistribution") or {}
lat = {int(d["percentage"]): d["latency"] / 1e6 for d in (r.get("latencyDistribution") or [])}
print(f'{r.get("rps") or 0:.1f} {lat.get(50, float("nan")):.2f} {lat.get(99, float("nan")):.2f} '
      f'{count - int(codes.get("OK", 0))} {count}')
for code, n in sorted(codes.items()):
    if code != "OK":
        print(f"    {code}: {n}", file=sys.stderr)
for msg, n in sorted((r.get("errorDistribution") or {}).items(), key=lambda kv: -kv[1])[:5]:
    print(f"    {n} x {msg[:200]}", file=sys.stderr)
EOF
}

mkdir -p "${OUT}"
hc_steps 7

# --- 1. stack and database -----------------------------------------------------------------
hc_step "test stack (PostgreSQL ${HOST}:25432, Redis :26379, Kafka :29092)"
status_out="$(scripts/stack.sh status --profile test 2>&1)" && status_rc=0 || status_rc=$?
if ((status_rc == 0)); then
  hc_log "test stack already runs: reusing it, leaving it running afterwards"
else
  if grep -Eq '^  [a-z]+ +(running|starting) ' <<<"${status_out}"; then
    # Partly up: not ours; complete it but leave it running afterwards.
    hc_warn "test stack partly running; bringing up the rest, leaving it running afterwards"
  else
    STARTED_STACK=1
    hc_log "starting it (stopped again at the end)"
  fi
  if ! scripts/stack.sh up --profile test >"${OUT}/stack-up.log" 2>&1; then
    hc_tail "${OUT}/stack-up.log"
    hc_die "scripts/stack.sh up --profile test failed"
  fi
fi
set -a
# shellcheck disable=SC1091
. "${HC_HOME}/test/stack.env"
set +a
PG_URL_BASE="${HC_PG_URL_BASE}"
DB_NAME="bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
if ! psql -X -q -v ON_ERROR_STOP=1 "${PG_URL_BASE}/postgres" \
    -c "CREATE DATABASE \"${DB_NAME}\"" >/dev/null; then
  DB_NAME=""
  hc_die "cannot create a database on ${PG_URL_BASE}"
fi
hc_log "fresh database ${DB_NAME}"

# --- what runs where -----------------------------------------------------------------------
GIT_REV="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then GIT_REV+="+dirty"; fi
IDLE_BEFORE="$(idle_pct)"
EXTRA_SETTINGS=""
for v in HC_WORK_QUEUE HC_MAX_MESSAGE_BYTES HC_SHUTDOWN_DRAIN_MS HC_SHUTDOWN_GRACE_MS; do
  if [[ -n "${!v:-}" ]]; then EXTRA_SETTINGS+=" ${v}=${!v}"; fi
done
{
  echo "machine   $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo \
    | head -n1)), ${IDLE_BEFORE}% idle before the run"
  echo "commit    ${GIT_REV}, ghz $(ghz --version 2>&1 | head -n1)," \
    "$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "pinning   servers on core ${SERVER_CPU} (taskset -c ${SERVER_CPU}): echo_server, then" \
    "membership, never together"
  echo "          ghz on core ${CLIENT_CPU} (taskset -c ${CLIENT_CPU}, --cpus 1);" \
    "PostgreSQL, Redis, Kafka not pinned"
  echo "load      ${CONCURRENCY} concurrent calls on ${CONNECTIONS} connections," \
    "${WARMUP_SECONDS}s warm-up + ${SECONDS_PER_RUN}s measured per RPC"
  echo "service   membership with HC_WORKERS=${WORKERS} HC_DB_POOL_SIZE=${DB_POOL_SIZE}" \
    "HC_CACHE_TTL_SECONDS=3600${EXTRA_SETTINGS}, database ${DB_NAME}"
} >"${OUT}/setup.txt"
sed 's/^/  /' "${OUT}/setup.txt" >&2
if ((IDLE_BEFORE < 80)); then
  hc_warn "only ${IDLE_BEFORE}% of the CPU was idle before the run: other work skews the figures"
fi

# --- 2. the ceiling: echo server -----------------------------------------------------------
hc_step "ceiling: echo_server on core ${SERVER_CPU}"
taskset -c "${SERVER_CPU}" "${ECHO_BIN}" "${HOST}:0" >"${OUT}/echo_server.log" 2>&1 &
ECHO_PID=$!
ECHO_PORT="$(wait_for_line "${OUT}/echo_server.log" 'listening on port ([0-9]+)' "${ECHO_PID}" 20)"
hc_log "echo_server pid ${ECHO_PID} on ${HOST}:${ECHO_PORT}, affinity $(affinity "${ECHO_PID}")"
ECHO_DATA='{"message":"hello from grpc_bench"}'
for warmup in 1 0; do
  ghz_run echo "${warmup}" "${ECHO_PID}" "${HOST}:${ECHO_PORT}" "${ECHO_PROTO}" "${ECHO_CALL}" \
    "${ECHO_DATA}"
done
hc_stop_pid "${ECHO_PID}" echo_server 10
ECHO_PID=""

# --- 3. membership -------------------------------------------------------------------------
hc_step "membership on core ${SERVER_CPU}"
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${TMP}/jwt.key"
# The master key for personal data at rest: 32 random bytes as 64 hex characters.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${TMP}/data.key"
TOKEN="$("${TOKEN_BIN}" --sub bench-coordinator --roles coordinator --ttl 3600 \
  --key-file "${TMP}/jwt.key" --issuer "${JWT_ISSUER}")"
AUTH_METADATA="{\"authorization\":\"Bearer ${TOKEN}\"}"
env HC_GRPC_ADDR="${HOST}:0" HC_METRICS_ADDR="${HOST}:0" \
  HC_DATABASE_URL="${PG_URL_BASE}/${DB_NAME}" HC_REDIS_ADDR="${HC_REDIS_ADDR}" \
  HC_KAFKA_BROKERS="${HC_KAFKA_BROKERS}" HC_JWT_ALG=HS256 HC_JWT_ISSUER="${JWT_ISSUER}" \
  HC_JWT_KEY_FILE="${TMP}/jwt.key" HC_DATA_KEY_FILE="${TMP}/data.key" \
  HC_WORKERS="${WORKERS}" HC_DB_POOL_SIZE="${DB_POOL_SIZE}" \
  HC_CACHE_TTL_SECONDS=3600 HC_LOG_LEVEL=info \
  taskset -c "${SERVER_CPU}" "${MEMBERSHIP_BIN}" >"${OUT}/membership.log" 2>&1 &
MEMBERSHIP_PID=$!
PORTS="$(wait_for_line "${OUT}/membership.log" \
  'serving gRPC on port ([0-9]+ and metrics on port [0-9]+)' "${MEMBERSHIP_PID}" 60)"
MEMBERSHIP_ADDR="${HOST}:${PORTS%% *}"
METRICS_PORT="${PORTS##* }"
hc_log "membership pid ${MEMBERSHIP_PID} on ${MEMBERSHIP_ADDR} (metrics ${METRICS_PORT})," \
  "affinity $(affinity "${MEMBERSHIP_PID}")"
sleep 1
RSS_IDLE_KB="$(proc_kb "${MEMBERSHIP_PID}" VmRSS)"

grpc_call() {  # grpc_call METHOD JSON: one call with the coordinator token, on the client core
  taskset -c "${CLIENT_CPU}" grpcurl -plaintext -max-time 10 \
    -H "authorization: Bearer ${TOKEN}" -d "$2" "${MEMBERSHIP_ADDR}" "${MEMBERSHIP_SVC}/$1"
}
seed="$(grpc_call RegisterMember '{"first_name":"Bench","last_name":"Reader",
  "email":"bench-reader-'"${RUN_ID}"'@example.org","program":"PROGRAM_IOP",
  "time_zone":"America/Chicago","interests":["hiking"]}' 2>"${TMP}/grpcurl.err")" \
  || { hc_tail "${TMP}/grpcurl.err"; hc_die "seeding RegisterMember failed"; }
# grpcurl prints camelCase (memberId); other versions print the proto names (member_id).
MEMBER_ID="$(python3 -c 'import json, sys; m = json.load(sys.stdin)["member"]
print(m.get("memberId") or m["member_id"])' <<<"${seed}")" \
  || hc_die "no member id in the RegisterMember answer: ${seed}"
CACHE_KEY="membership:member:v1:${MEMBER_ID}"
GET_DATA="{\"member_id\":\"${MEMBER_ID}\"}"
grpc_call GetMember "${GET_DATA}" >/dev/null 2>"${TMP}/grpcurl.err" \
  || { hc_tail "${TMP}/grpcurl.err"; hc_die "first GetMember failed"; }
hc_log "seed member ${MEMBER_ID} read once (now in Redis)"

sample_rss "${MEMBERSHIP_PID}" "${TMP}/rss_peak" &
SAMPLER_PID=$!

hc_step "GetMember (cached) on membership"
ghz_run get_member 1 "${MEMBERSHIP_PID}" "${MEMBERSHIP_ADDR}" "${MEMBERSHIP_PROTO}" \
  "${MEMBERSHIP_SVC}/GetMember" "${GET_DATA}" "${AUTH_METADATA}"
REDIS_CONNS_BEFORE="$(redis_connections)"
ghz_run get_member 0 "${MEMBERSHIP_PID}" "${MEMBERSHIP_ADDR}" "${MEMBERSHIP_PROTO}" \
  "${MEMBERSHIP_SVC}/GetMember" "${GET_DATA}" "${AUTH_METADATA}"
REDIS_CONNS_AFTER="$(redis_connections)"
REDIS_CONNS="?"
if [[ -n "${REDIS_CONNS_BEFORE}" && -n "${REDIS_CONNS_AFTER}" ]]; then
  REDIS_CONNS=$((REDIS_CONNS_AFTER - REDIS_CONNS_BEFORE))
fi

hc_step "RegisterMember (one new member per call) on membership"
# {{.RequestNumber}} counts the calls of one ghz run; run id and phase make the email unique
# across runs and against the warm-up.
register_data() {
  printf '{"first_name":"Bench","last_name":"Load",%s,"program":"PROGRAM_IOP",%s}' \
    "\"email\":\"bench-${RUN_ID}-$1-{{.RequestNumber}}@example.org\"" \
    '"time_zone":"America/Chicago","interests":["hiking","music"]'
}
for warmup in 1 0; do
  ghz_run register_member "${warmup}" "${MEMBERSHIP_PID}" "${MEMBERSHIP_ADDR}" \
    "${MEMBERSHIP_PROTO}" "${MEMBERSHIP_SVC}/RegisterMember" "$(register_data "w${warmup}")" \
    "${AUTH_METADATA}"
done

kill "${SAMPLER_PID}" 2>/dev/null || true
wait "${SAMPLER_PID}" 2>/dev/null || true
SAMPLER_PID=""
RSS_PEAK_KB="$(cat "${TMP}/rss_peak" 2>/dev/null || echo 0)"
RSS_HWM_KB="$(proc_kb "${MEMBERSHIP_PID}" VmHWM)"
curl -fsS -m 5 "http://${HOST}:${METRICS_PORT}/metrics" >"${OUT}/membership.metrics" 2>/dev/null \
  || hc_warn "could not read membership metrics"
metric() {  # metric ERE: sum of the samples whose name and labels match
  { grep -E "$1" "${OUT}/membership.metrics" 2>/dev/null || true; } \
    | awk '{ s += $2 } END { printf "%d", s }'
}
CACHE_HITS="$(metric '^hc_cache_requests_total\{.*result="hit"')"
CACHE_MISSES="$(metric '^hc_cache_requests_total\{.*result="miss"')"
CACHE_ERRORS="$(metric '^hc_cache_requests_total\{.*result="error"')"
OUTBOX_BACKLOG="$(metric '^hc_outbox_backlog ')"
OUTBOX_PUBLISHED="$(metric '^hc_outbox_published_total ')"
MEMBERS_ROWS="$(psql -X -q -t -A "${PG_URL_BASE}/${DB_NAME}" -c 'SELECT count(*) FROM members' \
  2>/dev/null || echo '?')"

hc_step "stopping membership"
hc_stop_pid "${MEMBERSHIP_PID}" membership 30
MEMBERSHIP_PID=""

# --- 4. report -----------------------------------------------------------------------------
hc_step "results (reports in ${OUT})"
declare -A RPS
touch "${TMP}/notes"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
row() {  # row LABEL NAME: one line of the main table; error details go to $TMP/notes
  local label="$1" name="$2" rps p50 p99 errors count pct
  read -r rps p50 p99 errors count < <(ghz_summary "${OUT}/${name}.json" 2>"${TMP}/${name}.errs")
  RPS[${name}]="${rps}"
  pct="$(awk -v e="${errors}" -v c="${count}" \
    'BEGIN { printf "%.2f", (c > 0 ? 100 * e / c : 100) }')"
  printf '%-20s %9s %7s %7s %14s %8s\n' "${label}" "${rps}" "${p50}" "${p99}" \
    "${errors}/${count}" "$(ratio "${rps}" "${RPS[echo]:-0}")"
  if awk -v p="${pct}" -v m="${MAX_ERROR_PCT}" 'BEGIN { exit !(p + 0 > m + 0) }'; then
    printf 'FAILED %s: %s%% errors (limit %s%%)\n' "${label}" "${pct}" "${MAX_ERROR_PCT}" \
      >>"${TMP}/notes"
  elif ((errors > 0)); then
    printf '%s: %s%% errors (within the %s%% limit)\n' "${label}" "${pct}" "${MAX_ERROR_PCT}" \
      >>"${TMP}/notes"
  fi
  if ((errors > 0)); then cat "${TMP}/${name}.errs" >>"${TMP}/notes"; fi
}
# The processes a run is expected to keep busy; anything else is other work on the machine.
declare -A EXPECTED=(
  [echo]="echo_server ghz java redis-server [softirq]"
  [get_member]="membership ghz redis-server java [softirq]"
  [register_member]="membership ghz postgres redis-server java [softirq]"
)
cpu_row() {  # cpu_row LABEL NAME: where the CPU went during the measured run
  local name="$2" server client server_core client_core per_call other other_top
  read -r server client server_core client_core <"${OUT}/${name}.cpu"
  # % of a core / calls per second = core-seconds per call; in microseconds:
  per_call="$(awk -v p="${server}" -v r="${RPS[${name}]}" \
    'BEGIN { if (r > 0) printf "%.0f", p * 10000 / r; else print "-" }')"
  printf '%-20s %8s %9s %12s %12s %15s\n' "$1" "${server}%" "${client}%" "${server_core}%" \
    "${client_core}%" "${per_call}"
  # shellcheck disable=SC2086  # the expected names are a word list
  read -r other other_top < <(cpu_other "${OUT}/${name}.usage" ${EXPECTED[${name}]})
  if ((other >= 10)); then
    printf '%s\n' "Warning: other work used ${other}% of a core during the $1 run (${other_top}):" \
      "  that row is skewed; run again on a quiet machine." >>"${TMP}/notes"
  fi
  if [[ "${name}" == echo ]] && ((client >= 90 && server_core < 80)); then
    printf '%s\n' "Note: Echo is limited by ghz (core ${CLIENT_CPU} saturated), not by" \
      "echo_server (core ${SERVER_CPU} ${server_core}% busy): the real ceiling is higher, so the" \
      "ratios are upper bounds; the server CPU per call compares the servers themselves." \
      >>"${TMP}/notes"
  fi
}
{
  echo
  echo "gRPC benchmark, ${SECONDS_PER_RUN}s per RPC"
  sed 's/^/  /' "${OUT}/setup.txt"
  echo
  printf '%-20s %9s %7s %7s %14s %8s\n' RPC "req/s" "p50 ms" "p99 ms" "errors/calls" "vs echo"
  row "Echo (ceiling)" echo
  row "GetMember (cached)" get_member
  row "RegisterMember" register_member
  echo
  echo "CPU during the measured runs, % of one core (server = echo_server or membership alone):"
  printf '%-20s %8s %9s %12s %12s %15s\n' RPC server ghz "core ${SERVER_CPU} busy" \
    "core ${CLIENT_CPU} busy" "server us/call"
  cpu_row "Echo (ceiling)" echo
  cpu_row "GetMember (cached)" get_member
  cpu_row "RegisterMember" register_member
  echo "Biggest CPU users on the machine meanwhile, % of one core (ghz: see above):"
  for name in echo get_member register_member; do
    printf '  %-16s %s\n' "${name}" "$(cpu_top "${OUT}/${name}.usage")"
  done
  echo
  echo "membership RSS    idle $(mib "${RSS_IDLE_KB}"), peak under load $(mib "${RSS_PEAK_KB}")" \
    "(200 ms samples), VmHWM $(mib "${RSS_HWM_KB}")"
  echo "membership cache  ${CACHE_HITS} hits, ${CACHE_MISSES} misses, ${CACHE_ERRORS} errors;" \
    "Redis accepted ${REDIS_CONNS} new connections during the measured GetMember run"
  echo "membership data   ${MEMBERS_ROWS} members in ${DB_NAME}; outbox: ${OUTBOX_PUBLISHED}" \
    "published to Kafka, ${OUTBOX_BACKLOG} still waiting at the end"
  if [[ -s "${TMP}/notes" ]]; then echo; cat "${TMP}/notes"; fi
} >"${OUT}/summary.txt"
cat "${OUT}/summary.txt"

if grep -q '^FAILED ' "${TMP}/notes"; then
  hc_die "more than ${MAX_ERROR_PCT}% errors in at least one run: those figures mean nothing"
fi
hc_log "done in $((SECONDS - _HC_T0))s"
