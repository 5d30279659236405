#!/usr/bin/env bash
# Throughput ceilings that are the server's, not the load tool's: h2load (nghttp2-client, a C
# HTTP/2 load generator) drives each cached read and the bare echo server, one after the other,
# with the server alone on one core and h2load alone on the other.
#
#   bench/h2load_bench.sh                 # as root, after scripts/build.sh; about 6 minutes
#   BENCH_SECONDS=20 bench/h2load_bench.sh
#
# A gRPC call is an HTTP/2 POST to /<package>.<Service>/<Method> whose body is the request
# protobuf behind a 5-byte frame header (0 = not compressed, then the length, big-endian), with
# `content-type: application/grpc`, `te: trailers` and the bearer token. protoc --encode writes
# each request's bytes once; h2load sends the same body on every call. h2load only sees HTTP
# status 200 (gRPC puts its status in the trailers), so every run of a service is checked
# against the service's own grpc_server_handled_total (delta over the run, by grpc_code): a run
# with any code other than OK is reported as BROKEN and the script exits non-zero. The echo
# server has no metrics; its answers are checked once with grpcurl.
#
# Per RPC it prints req/s, the ratio to echo, the server's CPU per call (utime + stime from
# /proc/<pid>/stat before and after, divided by the calls) and that against echo's. The echo
# server runs for the whole bench beside the service on the same core, and each RPC is measured
# in BENCH_ROUNDS rounds of (Echo, the RPC) back to back, its ratios the medians of the rounds':
# the host's speed on this workplace's machines moves by a quarter within minutes (a second Echo
# run at the end measured 0.72-1.02 of the first), so an RPC is set against a ceiling taken
# seconds before it, not one taken minutes before. Then h2load again, at a fixed rate of half
# the RPC's measured maximum (`--rps` per connection), gives p50/p99/p99.9 from its per-call
# log (`--log-file`); when h2load cannot keep the rate, the row says so. (ghz did this before,
# but on one core it tops out near 14,000 calls a second, under half of most maxima.)
#
# Cached reads measured: membership GetMember; events GetEvent and ListEvents; volunteering
# GetRole and ListRoles; notifications ListInbox (a member with 50 items, pages of 20). Each
# service gets a fresh database (dropped at the end) and its data is read once before the
# warm-up so every measured call is a cache hit.
#
# Environment:
#   BENCH_SECONDS         about the measured seconds per RPC (default 10), split over its
#                         rounds: a run makes the warm-up's rate times its seconds in calls
#   BENCH_ROUNDS          rounds of (Echo, the RPC) per RPC (default 10)
#   BENCH_WARMUP_SECONDS  h2load warm-up before each run (default 3)
#   BENCH_CONNECTIONS     h2load connections (default 4)
#   BENCH_STREAMS         concurrent streams per connection (default 16)
#   BENCH_SERVER_CPU      core of the servers (default 1)
#   BENCH_CLIENT_CPU      core of h2load (default 0)
#   BENCH_LATENCY         1 = also the fixed-rate latency runs at half load (default 1)
#   BENCH_PAGE_BYTES      the reply of the "Echo page" row (default 2506, ListInbox's page)
#   BENCH_ONLY            space-separated subset of: echo (the Echo no-auth and Echo page
#                         rows; Echo itself always runs) membership events volunteering
#                         notifications
#   BENCH_BUILD_DIR       where the binaries are (default build/)
#   BENCH_OUT             reports and logs (default $HC_HOME/bench/h2load-<time>)
set -euo pipefail
HC_LOG_TAG="h2load-bench"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "${HC_REPO_ROOT}"

# shellcheck source=bench/lib.sh
source "${HC_REPO_ROOT}/bench/lib.sh"
bench_help_if_asked "$@"

SECS="${BENCH_SECONDS:-10}"
WARMUP="${BENCH_WARMUP_SECONDS:-3}"
H2_CONNS="${BENCH_CONNECTIONS:-4}"
H2_STREAMS="${BENCH_STREAMS:-16}"
SERVER_CPU="${BENCH_SERVER_CPU:-1}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
LATENCY="${BENCH_LATENCY:-1}"
ROUNDS="${BENCH_ROUNDS:-10}"
PAGE_BYTES="${BENCH_PAGE_BYTES:-2506}"
ONLY="${BENCH_ONLY:-echo membership events volunteering notifications}"
BUILD_DIR="${BENCH_BUILD_DIR:-${HC_REPO_ROOT}/build}"
OUT="${BENCH_OUT:-${HC_HOME}/bench/h2load-$(date -u +%Y%m%dT%H%M%SZ)}"
for v in SECS WARMUP H2_CONNS H2_STREAMS SERVER_CPU CLIENT_CPU LATENCY PAGE_BYTES ROUNDS; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || hc_die "${v}=${!v} must be a whole number"
done
((ROUNDS >= 1)) || hc_die "BENCH_ROUNDS=${ROUNDS} must be at least 1"
hc_require_root
hc_need h2load grpcurl protoc psql taskset python3 curl
ECHO_BIN="${BUILD_DIR}/bench/echo_server"
TOKEN_BIN="${BUILD_DIR}/libs/auth/hc-token"
for b in "${ECHO_BIN}" "${TOKEN_BIN}"; do
  [[ -x "${b}" ]] || hc_die "${b} not built; run scripts/build.sh"
done
HOST=127.0.0.1
ISSUER="homecoming-bench"
mkdir -p "${OUT}"
TMP="$(mktemp -d /tmp/hc-h2load-bench.XXXXXX)"
STARTED_STACK=0 PG="" SERVER_PID="" SERVER_NAME="" DATABASES=() BENCH_TOPICS=() ECHO_PID=""
DB_NAME=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [[ -n "${SERVER_PID}" ]]; then hc_stop_pid "${SERVER_PID}" "${SERVER_NAME}" 30; fi
  if [[ -n "${ECHO_PID}" ]]; then hc_stop_pid "${ECHO_PID}" echo_server 30; fi
  bench_release "${DATABASES[@]}"
  exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# grpc_body NAME PROTO TYPE TEXT: $TMP/NAME.bin, the gRPC-framed request TYPE written from
# protobuf text format TEXT.
grpc_body() {
  local name="$1" proto="$2" type="$3" text="$4"
  protoc -I proto -I /usr/include --encode="${type}" "${proto}" <<<"${text}" \
    >"${TMP}/${name}.pb" || hc_die "protoc could not encode ${type}: ${text}"
  python3 -c 'import struct, sys
body = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(struct.pack(">BI", 0, len(body)) + body)' \
    "${TMP}/${name}.pb" "${TMP}/${name}.bin"
}

# handled_codes METRICS_PORT METHOD: "code=count ..." of grpc_server_handled_total for METHOD.
handled_codes() {
  curl -fsS -m 5 "http://${HOST}:$1/metrics" | python3 -c '
import re, sys
method = sys.argv[1]
for line in sys.stdin:
    m = re.match(r"grpc_server_handled_total\{(.*)\} ([0-9.e+]+)$", line.strip())
    if not m or f"grpc_method=\"{method}\"" not in m.group(1):
        continue
    code = re.search(r"grpc_code=\"([A-Za-z]+)\"", m.group(1)).group(1)
    print(f"{code}={int(float(m.group(2)))}", end=" ")
print()' "$2"
}
# codes_delta BEFORE AFTER: the calls per code between two handled_codes answers.
codes_delta() {
  python3 -c 'import sys
parse = lambda s: {k: int(v) for k, v in (p.split("=") for p in s.split())}
a, b = parse(sys.argv[1]), parse(sys.argv[2])
d = {k: b[k] - a.get(k, 0) for k in b if b[k] - a.get(k, 0)}
print(" ".join(f"{k}={v}" for k, v in sorted(d.items())) or "none")' "$1" "$2"
}

# not_ok CODES: the calls of a codes_delta answer with a code other than OK.
not_ok() {
  python3 -c 'import sys
print(sum(int(p.split("=")[1]) for p in sys.argv[1].split() if "=" in p and p[:3] != "OK="))' \
    "$1"
}

# h2load_run NAME URL_PATH PORT BODY TOKEN LIMIT: $OUT/NAME.h2load; prints "req_s succeeded
# failed 2xx bytes", bytes being the DATA frames' bytes a call received (the reply and its
# gRPC frame). LIMIT is "-D SECONDS" (the warm-up), "-n CALLS" (the measured run: a fixed
# number of calls, so none is cut off in flight and counted as Canceled by the server), or
# that with `--rps` and `--log-file` (h2load_latency).
h2load_run() {
  local name="$1" path="$2" port="$3" body="$4" token="$5" limit="$6"
  local headers=(-H "content-type: application/grpc" -H "te: trailers")
  if [[ -n "${token}" ]]; then headers+=(-H "authorization: Bearer ${token}"); fi
  # shellcheck disable=SC2086  # LIMIT is an option and its value
  taskset -c "${CLIENT_CPU}" h2load ${limit} -c "${H2_CONNS}" -m "${H2_STREAMS}" -t 1 \
    -d "${body}" "${headers[@]}" "http://${HOST}:${port}${path}" >"${OUT}/${name}.h2load" 2>&1 \
    || { hc_tail "${OUT}/${name}.h2load"; hc_die "h2load failed (${name})"; }
  python3 - "${OUT}/${name}.h2load" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"finished in [0-9.]+m?s, ([0-9.]+) req/s", t).group(1))
m = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, "
              r"(\d+) errored", t)
status2xx = int(re.search(r"status codes: (\d+) 2xx", t).group(1))
data = int(re.search(r"\((\d+)\) data", t).group(1))
per_call = data // int(m.group(2)) if int(m.group(2)) else 0
print(f"{rps:.0f} {m.group(2)} {int(m.group(3)) + int(m.group(4))} {status2xx} {per_call}")
EOF
}

# h2load_latency NAME URL_PATH PORT BODY TOKEN RATE: "rps p50 p99 p999 errors" at about RATE
# calls/s: h2load_run with each connection sending RATE/connections a second (`--rps`), for
# SECS seconds of calls, every call's time to its last byte logged (`--log-file`: start,
# status, µs). errors: calls h2load saw fail or answered other than 200; the caller adds gRPC's.
h2load_latency() {
  local name="$1" path="$2" port="$3" body="$4" token="$5" rate="$6"
  local per=$(((rate + H2_CONNS - 1) / H2_CONNS)) rps ok failed s2xx
  read -r rps ok failed s2xx _ <<<"$(h2load_run "${name}-rate" "${path}" "${port}" "${body}" \
    "${token}" "-n $((per * H2_CONNS * SECS)) --rps ${per} --log-file ${TMP}/${name}.calls")"
  python3 - "${TMP}/${name}.calls" "${rps}" "$((failed + ok - s2xx))" <<'EOF'
import sys
lat = sorted(int(f[2]) for f in (l.split() for l in open(sys.argv[1]))
             if len(f) >= 3 and f[1] == "200")
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] / 1e3 if lat else float("nan")
print(f"{sys.argv[2]} {pct(0.5):.2f} {pct(0.99):.2f} {pct(0.999):.2f} {sys.argv[3]}")
EOF
}

# user_sys_ms PID: "user_ms sys_ms" PID has used so far (utime and stime of /proc/PID/stat).
user_sys_ms() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " ");
                                    print int(f[12] * 1000 / hz), int(f[13] * 1000 / hz) }' \
    "/proc/$1/stat"
}

RESULTS="${TMP}/results"
: >"${RESULTS}"
BROKEN=0
# timed_run NAME URL_PATH PORT BODY TOKEN CALLS PID: h2load_run of CALLS calls with PID's CPU
# over it: "req_s succeeded failed 2xx bytes us_per_call user_us sys_us" (µs per OK call).
timed_run() {
  local u0 k0 u1 k1 rps ok failed s2xx bytes
  read -r u0 k0 <<<"$(user_sys_ms "$7")"
  read -r rps ok failed s2xx bytes <<<"$(h2load_run "$1" "$2" "$3" "$4" "$5" "-n $6")"
  read -r u1 k1 <<<"$(user_sys_ms "$7")"
  echo "${rps} ${ok} ${failed} ${s2xx} ${bytes} $(python3 -c 'import sys
u, k, n = map(float, sys.argv[1:])
print(" ".join(f"{1000 * ms / n:.1f}" if n else "nan" for ms in (u + k, u, k)))' \
    "$((u1 - u0))" "$((k1 - k0))" "${ok}")"
}

# measure LABEL PORT METRICS_PORT PROTO SERVICE METHOD TEXT TOKEN PID: one RPC of the server PID
# at full load, then h2load at a fixed half of it; appends a line to $RESULTS. An Echo row is
# one run. Any other row is ROUNDS rounds of (Echo, this RPC), each half SECS/ROUNDS seconds of
# calls back to back on the same core, and its ratios are the median of the rounds' ratios:
# the host's speed moves by a quarter within a few minutes on this workplace's machines, so
# each round sets the RPC against a ceiling measured a few seconds before, not minutes.
measure() {
  local label="$1" port="$2" mport="$3" proto="$4" svc="$5" method="$6" text="$7" token="$8"
  local pid="$9" name req_type
  name="$(tr 'A-Z ' 'a-z_' <<<"${label}")"
  req_type="${svc%.*}.${method}Request"
  [[ "${method}" == Echo ]] && req_type="${svc%.*}.EchoRequest"
  grpc_body "${name}" "${proto}" "${req_type}" "${text}"
  hc_log "${label}: ${WARMUP}s warm-up, ${SECS}s measured (h2load ${H2_CONNS}x${H2_STREAMS})"
  local wrps c0="" c1="" codes="-" loop
  read -r wrps _ <<<"$(h2load_run "${name}-warmup" "/${svc}/${method}" "${port}" \
    "${TMP}/${name}.bin" "${token}" "-D ${WARMUP}")"
  # The warm-up's last calls were cut off when it stopped; wait until the server has counted
  # them all (two equal readings 0.2 s apart) before taking the baseline.
  if [[ -n "${mport}" ]]; then
    local deadline=$((SECONDS + 30)) prev=""
    c0="$(handled_codes "${mport}" "${method}")"
    while [[ "${c0}" != "${prev}" ]] && ((SECONDS < deadline)); do
      prev="${c0}"
      sleep 0.2
      c0="$(handled_codes "${mport}" "${method}")"
    done
  fi
  # The fixed loop's time on the server core (bench/lib.sh's calibrate): the host's speed.
  loop="$(calibrate)"
  local rounds=1 round echo_n=0
  [[ "${label}" == Echo* ]] || rounds="${ROUNDS}"
  # Calls per run: the rate (Echo's first run, this RPC's warm-up) times SECS / rounds seconds.
  if ((rounds > 1)); then echo_n=$((ECHO_RPS * SECS / rounds)); fi
  local n=$((wrps * SECS / rounds)) state=ok
  ((echo_n = echo_n > 1000 ? echo_n : 1000, n = n > 1000 ? n : 1000))
  : >"${TMP}/${name}.rounds"
  for ((round = 1; round <= rounds; round++)); do
    local e="- - - - - - - -" r rps ok failed s2xx
    if ((rounds > 1)); then
      e="$(timed_run "${name}-echo-${round}" /homecoming.testing.v1.EchoService/Echo \
        "${ECHO_PORT}" "${TMP}/echo.bin" "${MEMBER_TOKEN}" "${echo_n}" "${ECHO_PID}")"
      read -r _ ok failed s2xx _ <<<"${e}"
      if ((failed > 0 || s2xx != ok)); then state=BROKEN; fi
    fi
    r="$(timed_run "${name}-${round}" "/${svc}/${method}" "${port}" "${TMP}/${name}.bin" \
      "${token}" "${n}" "${pid}")"
    read -r rps ok failed s2xx _ <<<"${r}"
    if ((failed > 0 || s2xx != ok)); then state=BROKEN; fi
    echo "${r} ${e}" >>"${TMP}/${name}.rounds"
  done
  if [[ -n "${mport}" ]]; then
    # Every call has been answered when h2load returns; its count is in the metric by then.
    c1="$(handled_codes "${mport}" "${method}")"
    codes="$(codes_delta "${c0}" "${c1}")"
  fi
  if [[ "${codes}" != - && ! "${codes}" =~ ^OK=[0-9]+$ ]]; then state=BROKEN; fi
  [[ "${state}" == BROKEN ]] && BROKEN=1
  # "rps ok us usr sys bytes echo_rps echo_us rps_ratio cpu_ratio ratio_min ratio_max": the
  # medians over the rounds (the ratios' too), ok summed; echo and ratio fields "-" for one run.
  local stats
  stats="$(python3 - "${TMP}/${name}.rounds" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
med = lambda i: st.median(float(r[i]) for r in rows)
out = [f"{med(0):.0f}", str(sum(int(r[1]) for r in rows)), f"{med(5):.1f}", f"{med(6):.1f}",
       f"{med(7):.1f}", rows[0][4]]
if rows[0][8] != "-":
    x = [float(r[0]) / float(r[8]) for r in rows]
    y = [float(r[13]) / float(r[5]) for r in rows]
    out += [f"{med(8):.0f}", f"{med(13):.1f}", f"{st.median(x):.2f}", f"{st.median(y):.2f}",
            f"{min(x):.2f}", f"{max(x):.2f}"]
else:
    out += ["-"] * 6
print(" ".join(out))
PY
)"
  local rps
  read -r rps _ <<<"${stats}"
  local lat="- - - - -"
  if ((LATENCY)); then
    local lrps p50 p99 p999 lerr c2
    read -r lrps p50 p99 p999 lerr <<<"$(h2load_latency "${name}" "/${svc}/${method}" \
      "${port}" "${TMP}/${name}.bin" "${token}" "$(half "${rps}")")"
    if [[ -n "${mport}" ]]; then
      c2="$(handled_codes "${mport}" "${method}")"
      lerr=$((lerr + $(not_ok "$(codes_delta "${c1}" "${c2}")")))
    fi
    lat="${lrps} ${p50} ${p99} ${p999} ${lerr}"
  fi
  local fields=("${label}" "${stats}" "${codes}" "${state}" "${lat}" "$(half "${rps}")" "${loop}")
  (IFS='|'; echo "${fields[*]}") >>"${RESULTS}"
}

# start_server NAME BINARY [VAR=VALUE...]: the service on SERVER_CPU against a fresh database;
# sets SERVER_PID, PORT and METRICS_PORT.
start_server() {
  local name="$1" bin="$2"; shift 2
  [[ -x "${bin}" ]] || hc_die "${bin} not built; run scripts/build.sh"
  DB_NAME="bench_h2_${name}_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  psql -X -q -v ON_ERROR_STOP=1 "${PG}/postgres" -c "CREATE DATABASE \"${DB_NAME}\"" >/dev/null \
    || hc_die "cannot create a database"
  DATABASES+=("${DB_NAME}")
  bench_topics membership
  SERVER_NAME="${name}"
  env HC_GRPC_ADDR="${HOST}:0" HC_METRICS_ADDR="${HOST}:0" HC_DATABASE_URL="${PG}/${DB_NAME}" \
    HC_REDIS_ADDR="${HC_REDIS_ADDR}" HC_KAFKA_BROKERS="${HC_KAFKA_BROKERS}" \
    HC_CONSUMER_GROUP="${name}-h2bench-${DB_NAME}" HC_MEMBERSHIP_TOPIC="${TOPIC_membership}" \
    HC_JWT_ALG=HS256 HC_JWT_ISSUER="${ISSUER}" HC_JWT_KEY_FILE="${TMP}/jwt.key" \
    HC_DATA_KEY_FILE="${TMP}/data.key" HC_WORKERS=16 HC_DB_POOL_SIZE=8 HC_WORK_QUEUE=4096 \
    HC_CACHE_TTL_SECONDS=3600 HC_LOG_LEVEL=info "$@" \
    taskset -c "${SERVER_CPU}" "${bin}" >"${OUT}/${name}.log" 2>&1 &
  SERVER_PID=$!
  local ports
  ports="$(wait_for_line "${OUT}/${name}.log" \
    'serving gRPC on port ([0-9]+ and metrics on port [0-9]+)' "${SERVER_PID}" 60)"
  PORT="${ports%% *}"
  METRICS_PORT="${ports##* }"
}
stop_server() {
  hc_stop_pid "${SERVER_PID}" "${SERVER_NAME}" 30
  SERVER_PID=""
}
# call PORT TOKEN PROTO METHOD JSON: one call through grpcurl (the seeding read).
call() {
  taskset -c "${CLIENT_CPU}" grpcurl -plaintext -max-time 10 -import-path proto -proto "$3" \
    -H "authorization: Bearer $2" -d "$5" "${HOST}:$1" "$4"
}

# --- stack, keys, tokens -----------------------------------------------------------------------
hc_steps 7
hc_step "test stack"
bench_test_stack
PG="${HC_PG_URL_BASE}"
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${TMP}/jwt.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${TMP}/data.key"
MEMBER="$(python3 -c 'import uuid; print(uuid.uuid4())')"
MEMBER_TOKEN="$("${TOKEN_BIN}" --key-file "${TMP}/jwt.key" --issuer "${ISSUER}" --ttl 3600 \
  --sub "${MEMBER}" --roles alumnus)"
STAFF_TOKEN="$("${TOKEN_BIN}" --key-file "${TMP}/jwt.key" --issuer "${ISSUER}" --ttl 3600 \
  --sub bench-coordinator --roles coordinator)"
bench_idle_check

# --- echo --------------------------------------------------------------------------------------
# echo_server runs on SERVER_CPU for the whole bench (idle between its runs): each service row
# alternates with it (measure's rounds).
hc_step "echo_server on core ${SERVER_CPU}"
taskset -c "${SERVER_CPU}" "${ECHO_BIN}" "${HOST}:0" >"${OUT}/echo_server.log" 2>&1 &
ECHO_PID=$!
ECHO_PORT="$(wait_for_line "${OUT}/echo_server.log" 'listening on port ([0-9]+)' "${ECHO_PID}" 20)"
call "${ECHO_PORT}" none proto/homecoming/testing/v1/echo.proto \
  homecoming.testing.v1.EchoService/Echo '{"message":"hello"}' >/dev/null \
  || hc_die "the echo server does not answer Echo"
# The ceiling gets the same authorization header as the services: h2load (nghttp2) never adds
# `authorization` to the HPACK table, so the server Huffman-decodes the whole token on every
# call (~17,000 instructions, callgrind), transport work echo must do too for the ratios to
# compare the services' own work. The row without it is printed for reference.
measure "Echo" "${ECHO_PORT}" "" proto/homecoming/testing/v1/echo.proto \
  homecoming.testing.v1.EchoService Echo 'message: "hello"' "${MEMBER_TOKEN}" "${ECHO_PID}"
read -r _ ECHO_RPS _ <<<"$(tr '|' ' ' <"${RESULTS}")"
if [[ " ${ONLY} " == *" echo "* ]]; then
  measure "Echo no-auth" "${ECHO_PORT}" "" proto/homecoming/testing/v1/echo.proto \
    homecoming.testing.v1.EchoService Echo 'message: "hello"' "" "${ECHO_PID}"
  # A reply the size of a page (ListInbox's page of 20 here is 2,506 bytes): the transport's
  # share of a list read, which echo's 7-byte reply does not carry. For reference, beside the
  # ratios against echo that the aims are set in.
  measure "Echo page" "${ECHO_PORT}" "" proto/homecoming/testing/v1/echo.proto \
    homecoming.testing.v1.EchoService Echo "message: \"hello\" reply_bytes: ${PAGE_BYTES}" \
    "${MEMBER_TOKEN}" "${ECHO_PID}"
fi

# --- membership --------------------------------------------------------------------------------
if [[ " ${ONLY} " == *" membership "* ]]; then
  hc_step "membership on core ${SERVER_CPU}"
  start_server membership "${BUILD_DIR}/services/membership/membership"
  MPROTO=proto/alumni/membership/v1/membership_service.proto
  MSVC=alumni.membership.v1.MembershipService
  seed="$(call "${PORT}" "${STAFF_TOKEN}" "${MPROTO}" "${MSVC}/RegisterMember" \
    '{"first_name":"Bench","last_name":"Reader","email":"bench-h2-'"${DB_NAME}"'@example.org",
      "program":"PROGRAM_IOP","time_zone":"America/Chicago","interests":["hiking"]}')" \
    || hc_die "seeding RegisterMember failed"
  MID="$(python3 -c 'import json, sys; m = json.load(sys.stdin)["member"]
print(m.get("memberId") or m["member_id"])' <<<"${seed}")"
  call "${PORT}" "${STAFF_TOKEN}" "${MPROTO}" "${MSVC}/GetMember" "{\"member_id\":\"${MID}\"}" \
    >/dev/null || hc_die "first GetMember failed"
  measure "GetMember" "${PORT}" "${METRICS_PORT}" "${MPROTO}" "${MSVC}" GetMember \
    "member_id: \"${MID}\"" "${STAFF_TOKEN}" "${SERVER_PID}"
  stop_server
fi

# --- events ------------------------------------------------------------------------------------
if [[ " ${ONLY} " == *" events "* ]]; then
  hc_step "events on core ${SERVER_CPU}"
  start_server events "${BUILD_DIR}/services/events/events"
  psql -X -q -v ON_ERROR_STOP=1 "${PG}/${DB_NAME}" >/dev/null <<SQL
INSERT INTO events (event_id, title, kind, starts_at, ends_at, time_zone, venue, capacity,
                    waitlist_enabled, visibility, created_by, created_at, updated_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, 'Bench event ' || n, 1,
       now() + interval '30 days', now() + interval '30 days 2 hours', 'America/Chicago',
       'Bench hall', 100, true, 2, 'bench', now(), now()
FROM generate_series(1, 50) n;
ANALYZE events;
SQL
  EPROTO=proto/alumni/events/v1/events_service.proto
  ESVC=alumni.events.v1.EventsService
  EID=00000000-0000-4000-8000-000000000001
  call "${PORT}" "${MEMBER_TOKEN}" "${EPROTO}" "${ESVC}/GetEvent" "{\"event_id\":\"${EID}\"}" \
    >/dev/null || hc_die "first GetEvent failed"
  call "${PORT}" "${MEMBER_TOKEN}" "${EPROTO}" "${ESVC}/ListEvents" '{"page_size":20}' \
    >/dev/null || hc_die "first ListEvents failed"
  measure "GetEvent" "${PORT}" "${METRICS_PORT}" "${EPROTO}" "${ESVC}" GetEvent \
    "event_id: \"${EID}\"" "${MEMBER_TOKEN}" "${SERVER_PID}"
  measure "ListEvents" "${PORT}" "${METRICS_PORT}" "${EPROTO}" "${ESVC}" ListEvents \
    "page_size: 20" "${MEMBER_TOKEN}" "${SERVER_PID}"
  stop_server
fi

# --- volunteering ------------------------------------------------------------------------------
if [[ " ${ONLY} " == *" volunteering "* ]]; then
  hc_step "volunteering on core ${SERVER_CPU}"
  bench_topics events
  start_server volunteering "${BUILD_DIR}/services/volunteering/volunteering" \
    HC_EVENTS_CONSUMER_GROUP="volunteering-events-h2bench" HC_EVENTS_TOPIC="${TOPIC_events}"
  RID="('20000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid"
  SID="('30000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid"
  psql -X -q -v ON_ERROR_STOP=1 "${PG}/${DB_NAME}" >/dev/null <<SQL
INSERT INTO roles (role_id, title, description, tags, venue, max_shifts_per_person, created_by,
                   created_at, updated_at)
SELECT ${RID}, 'Bench role ' || n, '', '{}', 'Bench hall', 5, 'bench', now(), now()
FROM generate_series(1, 50) n;
INSERT INTO shifts (shift_id, role_id, starts_at, ends_at, time_zone, slots, created_at,
                    updated_at)
SELECT ${SID}, ${RID}, now() + interval '30 days', now() + interval '30 days 2 hours',
       'America/Chicago', 500, now(), now()
FROM generate_series(1, 50) n;
SQL
  VPROTO=proto/alumni/volunteering/v1/volunteering_service.proto
  VSVC=alumni.volunteering.v1.VolunteeringService
  ROLE=20000000-0000-4000-8000-000000000001
  call "${PORT}" "${MEMBER_TOKEN}" "${VPROTO}" "${VSVC}/GetRole" "{\"role_id\":\"${ROLE}\"}" \
    >/dev/null || hc_die "first GetRole failed"
  call "${PORT}" "${MEMBER_TOKEN}" "${VPROTO}" "${VSVC}/ListRoles" '{"page_size":20}' \
    >/dev/null || hc_die "first ListRoles failed"
  measure "GetRole" "${PORT}" "${METRICS_PORT}" "${VPROTO}" "${VSVC}" GetRole \
    "role_id: \"${ROLE}\"" "${MEMBER_TOKEN}" "${SERVER_PID}"
  measure "ListRoles" "${PORT}" "${METRICS_PORT}" "${VPROTO}" "${VSVC}" ListRoles \
    "page_size: 20" "${MEMBER_TOKEN}" "${SERVER_PID}"
  stop_server
fi

# --- notifications -----------------------------------------------------------------------------
if [[ " ${ONLY} " == *" notifications "* ]]; then
  hc_step "notifications on core ${SERVER_CPU}"
  bench_topics events volunteering
  # Its own empty topics and groups, and the channels pointed at nothing: only the inbox is read.
  start_server notifications "${BUILD_DIR}/services/notifications/notifications" \
    HC_EVENTS_TOPIC="${TOPIC_events}" HC_VOLUNTEERING_TOPIC="${TOPIC_volunteering}" \
    HC_EVENTS_CONSUMER_GROUP="notifications-events-h2bench-${DB_NAME}" \
    HC_VOLUNTEERING_CONSUMER_GROUP="notifications-volunteering-h2bench-${DB_NAME}" \
    HC_MEMBERSHIP_FACTS_CONSUMER_GROUP="notifications-members-h2bench-${DB_NAME}" \
    HC_HTTP_ADDRESS="${HOST}:0" HC_SMTP_URL="smtp://${HOST}:1"
  psql -X -q -v ON_ERROR_STOP=1 "${PG}/${DB_NAME}" >/dev/null <<SQL
INSERT INTO inbox_items (item_id, member_id, dedupe_key, category, kind, event_id, created_at)
SELECT ('40000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid, '${MEMBER}',
       'bench:' || n, 'events', 'rsvp_confirmed',
       ('00000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid,
       now() - n * interval '1 minute'
FROM generate_series(1, 50) n;
ANALYZE inbox_items;
SQL
  NPROTO=proto/alumni/notifications/v1/notifications_service.proto
  NSVC=alumni.notifications.v1.NotificationsService
  first="$(call "${PORT}" "${MEMBER_TOKEN}" "${NPROTO}" "${NSVC}/ListInbox" '{"page_size":20}')" \
    || hc_die "first ListInbox failed"
  [[ "$(grep -c '"itemId"' <<<"${first}")" == 20 ]] \
    || hc_die "the seeded inbox does not list 20 items: ${first}"
  measure "ListInbox" "${PORT}" "${METRICS_PORT}" "${NPROTO}" "${NSVC}" ListInbox \
    "page_size: 20" "${MEMBER_TOKEN}" "${SERVER_PID}"
  stop_server
fi

# --- report ------------------------------------------------------------------------------------
hc_step "results (reports in ${OUT})"
{
  echo "h2load bench, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)," \
    "$(nproc) cores, ${IDLE}% idle before (shared machine: compare ratios, not req/s)"
  echo "servers on core ${SERVER_CPU}, h2load on core ${CLIENT_CPU}; PostgreSQL, Redis," \
    "Kafka unpinned; h2load ${H2_CONNS} connections x ${H2_STREAMS} streams, ${SECS}s per RPC"
  echo
  python3 - "${RESULTS}" "${ROUNDS}" <<'EOF'
import sys
rows = []
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    label, stats, codes, state, lat, half, loop = line.rstrip("\n").split("|")
    f = stats.split()
    rows.append(dict(label=label, rps=float(f[0]), us=float(f[2]), usr=f[3], sys=f[4],
                     bytes=f[5], echo_rps=f[6], x=f[8], y=f[9], lo=f[10], hi=f[11],
                     codes=codes, state=state, lat=lat.split(), half=half, loop=loop))
echo = next(r for r in rows if r["label"] == "Echo")
print(f"Each RPC ran {sys.argv[2]} rounds of (Echo, the RPC), as many seconds each, back to back;")
print("its 'vs echo' figures are the medians of the rounds' ratios, req/s and us/call the medians")
print("of its runs, 'range' the lowest and highest round's req/s ratio, 'echo req/s' the median of")
print("its Echo runs. Echo rows are one run each, set against the first. us/call: the server's CPU")
print("(utime + stime) per call; its 'vs echo' is echo's us/call over this one's, so 1.00 is as")
print("cheap as echo. reply B: the DATA bytes a call received (reply and frame); loop ms: a fixed")
print("loop's time on the server core just before the row (the host's speed).")
print(f'{"RPC":<12} {"req/s":>7} {"vs echo":>8} {"range":>9} {"us/call":>8} {"vs echo":>8} '
      f'{"echo req/s":>10} {"user":>5} {"sys":>5} {"reply B":>7} {"loop ms":>7}  '
      f'{"codes (grpc_server_handled_total)":<34} {"state":<6}')
for r in rows:
    if r["x"] == "-":
        x, y = f"{r['rps'] / echo['rps']:.2f}", f"{echo['us'] / r['us']:.2f}"
        rng, erps = "", ""
    else:
        x, y, rng, erps = r["x"], r["y"], f"{r['lo']}-{r['hi']}", r["echo_rps"]
    print(f"{r['label']:<12} {r['rps']:>7.0f} {x:>8} {rng:>9} {r['us']:>8.1f} {y:>8} "
          f"{erps:>10} {r['usr']:>5} {r['sys']:>5} {r['bytes']:>7} {r['loop']:>7}  "
          f"{r['codes']:<34} {r['state']:<6}")
erps = [float(r["echo_rps"]) for r in rows if r["echo_rps"] != "-"] + [echo["rps"]]
loops = [float(r["loop"]) for r in rows]
print(f"the host over the run: Echo's median req/s {min(erps):.0f}-{max(erps):.0f} from row to "
      f"row, the loop {min(loops):.0f}-{max(loops):.0f} ms")
print()
print(f'h2load at half of each RPC\'s maximum: {"target/s":>13} {"got/s":>7} {"p50 ms":>7} '
      f'{"p99 ms":>7} {"p99.9 ms":>8} {"errors":>6}')
for r in rows:
    got, p50, p99, p999, err = r["lat"]
    kept = got == "-" or float(got) >= 0.95 * float(r["half"])
    note = "" if kept else "  (h2load could not keep the rate)"
    print(f'  {r["label"]:<40} {r["half"]:>8} {got:>7} {p50:>7} {p99:>7} {p999:>8} '
          f'{err:>6}{note}')
page = next((r for r in rows if r["label"] == "Echo page"), None)
lists = [r for r in rows if r["label"].startswith("List")]
if page and lists:
    print()
    print("List reads against Echo page (an echo whose reply is a page long, one run), req/s and")
    print("CPU per call:")
    for r in lists:
        print(f"  {r['label']:<12} {r['rps'] / page['rps']:.2f} {page['us'] / r['us']:>6.2f}")
EOF
} | tee "${OUT}/summary.txt"
if ((BROKEN)); then hc_die "a run answered other than OK (see codes): its figures mean nothing"; fi
hc_log "reports in ${OUT}"
