# What the service benchmarks share (events_rsvp_bench.sh, volunteering_signup_bench.sh):
# measuring helpers, then the frame of a run (bench_init, bench_stack_and_database,
# bench_start_service, bench_echo_ceiling). Sourced after scripts/lib.sh. The helpers read OUT
# (reports), TMP (scratch), CLIENT_CPU (the core of ghz and pgbench), CONCURRENCY (ghz calls in
# flight), CONNS (pgbench clients), SECS (seconds per pgbench run), PG and DB_NAME (pgbench's
# database), all set by bench_init and bench_stack_and_database.

# bench_help_if_asked "$@": with -h or --help, prints the calling script's header comment (up
# to its first non-comment line) and exits 0.
bench_help_if_asked() {
  if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
    exit 0
  fi
}

# wait_for_line FILE REGEX PID SECONDS: prints the first capture group of REGEX in FILE.
wait_for_line() {
  local file="$1" regex="$2" pid="$3" deadline=$((SECONDS + $4)) line
  while :; do
    line="$(grep -Eo -m1 "${regex}" "${file}" 2>/dev/null || true)"
    if [[ -n "${line}" ]]; then sed -E "s/.*${regex}.*/\\1/" <<<"${line}"; return 0; fi
    if hc_pid_gone "${pid}"; then hc_tail "${file}"; hc_die "pid ${pid} exited (${file})"; fi
    ((SECONDS < deadline)) || { hc_tail "${file}"; hc_die "no '${regex}' in ${file}"; }
    sleep 0.2
  done
}

# ghz_run NAME ADDR CALL SECONDS [ghz args...]: one fixed-duration run on the client core, its
# JSON report in $OUT/NAME.json.
ghz_run() {
  local name="$1" addr="$2" call="$3" secs="$4"; shift 4
  taskset -c "${CLIENT_CPU}" ghz --insecure --cpus 1 --import-paths proto --call "${call}" \
    -c "${CONCURRENCY}" --connections 4 -z "${secs}s" --duration-stop wait -t 10s \
    --format json -o "${OUT}/${name}.json" "$@" "${addr}" 2>"${OUT}/${name}.err" || true
  [[ -s "${OUT}/${name}.json" ]] || { hc_tail "${OUT}/${name}.err"; hc_die "ghz: no report"; }
}

# ghz_stats NAME: "rps p50_ms p99_ms errors"
ghz_stats() {
  python3 - "${OUT}/$1.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
count = int(r.get("count") or 0)
ok = int((r.get("statusCodeDistribution") or {}).get("OK", 0))
lat = {int(d["percentage"]): d["latency"] / 1e6 for d in (r.get("latencyDistribution") or [])}
print(f'{r.get("rps") or 0:.0f} {lat.get(50, float("nan")):.2f} {lat.get(99, float("nan")):.2f} '
      f'{count - ok}')
EOF
}

# pgbench_run NAME SCRIPT [ARGS...]: writes "tps p50_ms p99_ms errors transactions" to
# $OUT/NAME.stats (percentiles from the per-transaction log).
pgbench_run() {
  local name="$1" script="$2"; shift 2
  (cd "${TMP}" && taskset -c "${CLIENT_CPU}" pgbench -n -M "${PGBENCH_MODE}" -c "${CONNS}" -j 1 \
    -T "${SECS}" -f "${script}" -l --log-prefix="${name}" "$@" "${PG}/${DB_NAME}") \
    >"${OUT}/${name}.txt" 2>&1 || { hc_tail "${OUT}/${name}.txt"; hc_die "pgbench failed"; }
  (python3 - "${OUT}/${name}.txt" "${TMP}" "${name}" <<'EOF'
import glob, re, sys
text = open(sys.argv[1]).read()
tps = float(re.search(r"tps = ([0-9.]+)", text).group(1))
failed = re.search(r"number of failed transactions: ([0-9]+)", text)
done = int(re.search(r"number of transactions actually processed: ([0-9]+)", text).group(1))
# Columns: client, transaction, time (us), script, epoch, us[, schedule lag (us) with --rate].
# Under --rate the time counts from the scheduled start: take the lag off, as ghz measures
# from the actual send.
def latency(cols):
    return int(cols[2]) - (int(cols[6]) if len(cols) > 6 else 0)
lat = sorted(latency(l.split()) for f in glob.glob(f"{sys.argv[2]}/{sys.argv[3]}.*")
             for l in open(f) if l.strip())
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] / 1000 if lat else float("nan")
print(f"{tps:.0f} {pct(0.50):.2f} {pct(0.99):.2f} {failed.group(1) if failed else 0} {done}")
EOF
  ) >"${OUT}/${name}.stats"
  rm -f "${TMP}/${name}".*
}

# busy_ms: CPU time the whole machine has spent busy so far, in ms.
busy_ms() {
  awk -v hz="$(getconf CLK_TCK)" '/^cpu / { print int(($2 + $3 + $4 + $7 + $8) * 1000 / hz) }' \
    /proc/stat
}
# proc_ms PID: CPU time PID has used so far, in ms.
proc_ms() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " ");
                                    print int((f[12] + f[13]) * 1000 / hz) }' "/proc/$1/stat"
}
# cpu_per_call NAME COUNT MACHINE0 MACHINE1 SERVICE0 SERVICE1: "machine_us service_us" per call.
cpu_per_call() {
  python3 -c 'import sys
n, m0, m1, s0, s1 = map(float, sys.argv[1:])
print(f"{1000 * (m1 - m0) / n:.0f} {1000 * (s1 - s0) / n:.0f}" if n else "- -")' "$@"
}
# cpu_snap FILE: the machine's CPU counters and each process group's CPU so far (ms), as JSON in
# FILE, for cpu_breakdown. Groups: the service (SERVICE_PID), postgres (every postgres process,
# with the backends that exited, which the postmaster reaped), redis-server, kafka (java), and
# the client: what this shell's children used (ghz and pgbench run as its children; also the
# few psql counts around each run). "kernel" is the machine's system, irq and softirq time.
cpu_snap() {
  python3 - "$1" "${SERVICE_PID:-0}" "$$" <<'EOF'
import json, os, sys
hz = os.sysconf("SC_CLK_TCK")
out, service, shell = sys.argv[1], sys.argv[2], sys.argv[3]
f = list(map(int, open("/proc/stat").readline().split()[1:]))
snap = {"user": f[0] + f[1], "kernel": f[2] + f[5] + f[6], "busy": f[0] + f[1] + f[2] + f[5] + f[6],
        "idle": f[3] + f[4]}
# Counts, not times (cpu_breakdown divides them by the calls): context switches, and the
# interrupts one core sends another to wake a task on it or run a function there.
counts = {"switches": 0, "ipis": 0}
for line in open("/proc/stat"):
    cols = line.split()
    if cols[0] == "ctxt":
        counts["switches"] = int(cols[1])
    elif cols[0].startswith("cpu") and cols[0] != "cpu":  # each core's idle and busy time
        c = list(map(int, cols[1:]))
        snap[f"{cols[0]}_idle"] = c[3] + c[4]
        snap[f"{cols[0]}_busy"] = c[0] + c[1] + c[2] + c[5] + c[6]
for line in open("/proc/interrupts"):
    cols = line.split()
    if cols and cols[0] in ("RES:", "CAL:", "TLB:"):
        counts["ipis"] += sum(int(c) for c in cols[1:] if c.isdigit())
groups = {"service": 0, "postgres": 0, "redis": 0, "kafka": 0, "client": 0}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        raw = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    v = raw[raw.rindex(")") + 2:].split()
    own, reaped = int(v[11]) + int(v[12]), int(v[13]) + int(v[14])
    if pid == service:
        groups["service"] += own
    elif pid == shell:
        groups["client"] += reaped
    elif comm.startswith("postgres"):
        groups["postgres"] += own + reaped
    elif comm == "redis-server":
        groups["redis"] += own
    elif comm == "java":
        groups["kafka"] += own
snap.update(groups)
snap = {k: 1000 * v / hz for k, v in snap.items()}
snap.update(counts)
json.dump(snap, open(out, "w"))
EOF
}
# cpu_breakdown FILE0 FILE1 COUNT: CPU per write (us) between two cpu_snap files, by group, and
# what the groups leave over ("other": processes outside them, interrupts); then the share of the
# machine left idle, and the context switches and inter-processor interrupts (RES, CAL and TLB
# in /proc/interrupts: one core waking a task on the other, or running a function there) per
# write, which tell a run whose cores hand work to each other often from one that does not.
cpu_breakdown() {
  python3 - "$@" <<'EOF'
import json, sys
a, b, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3])
d = {k: 1000 * (b[k] - a[k]) / n if n else 0 for k in a}
named = ["service", "client", "postgres", "redis", "kafka"]
other = d["busy"] - sum(d[k] for k in named)
def idle(prefix):
    i, b_ = (b[f"{prefix}{k}"] - a[f"{prefix}{k}"] for k in ("idle", "busy"))
    return 100 * i / max(1, i + b_)
cores = sorted(k[:-5] for k in a if k.startswith("cpu") and k.endswith("_idle"))
switches, ipis = ((b[k] - a[k]) / n if n else 0 for k in ("switches", "ipis"))
print(f'machine {d["busy"]:.0f} us (user {d["user"]:.0f}, kernel {d["kernel"]:.0f}) = ' +
      ", ".join(f"{k} {d[k]:.0f}" for k in named) + f", other {other:.0f}; " +
      f'idle {idle(""):.0f} % (' + ", ".join(f"{c} {idle(c + '_'):.0f} %" for c in cores) +
      f"), {switches:.1f} context switches and {ipis:.1f} IPIs per write")
EOF
}
# cpu_served FILE0 FILE1 COUNT: CPU per write (us) of the whole machine less the load tool's
# (cpu_snap's client group), between two cpu_snap files.
cpu_served() {
  python3 - "$@" <<'EOF'
import json, sys
a, b, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3])
busy, client = (b[k] - a[k] for k in ("busy", "client"))
print(f"{1000 * (busy - client) / n:.0f}" if n else "0")
EOF
}
ratio() { python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print(f"{a / b:.2f}")' "$@"; }
row() { printf '%-28s %10s %9s %9s %7s\n' "$@"; }
half() { echo $(( $1 / 2 > 0 ? $1 / 2 : 1 )); }

# calibrate: milliseconds a fixed piece of pure CPU work takes on SERVER_CPU now. On this
# workplace's virtual machines the same work has taken 438 to 811 ms within half an hour: the
# host's speed moves, and every figure of a run moves with it. A pair of runs compared by a
# ratio should have taken about the same time before and after.
calibrate() {
  python3 - "${SERVER_CPU:-1}" <<'EOF'
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
t, s = time.perf_counter(), 0
for i in range(3_000_000):
    s += i * i % 7
print(f"{(time.perf_counter() - t) * 1000:.0f}")
EOF
}

# host_speed_line: the summary's line on CALIBRATE_BEFORE and CALIBRATE_AFTER, saying whether
# the slower is within 10 % of the faster (the two runs met the same host) or not. The same
# rule marks h2load_bench.sh's rows.
host_speed_line() {
  local verdict="within 10 %: the two runs met the same host speed"
  local a="${CALIBRATE_BEFORE}" b="${CALIBRATE_AFTER}"
  if ((a * 10 > b * 11 || b * 10 > a * 11)); then
    verdict="more than 10 % apart: the host's speed moved between the two"
  fi
  echo "  host speed: a fixed loop took ${CALIBRATE_BEFORE} ms before the gRPC run and" \
    "${CALIBRATE_AFTER} ms after pgbench's (${verdict})"
}

# idle_pct: how much of the CPU was idle over the last second, in percent.
idle_pct() {
  python3 -c '
import time
def snap():
    f = list(map(int, open("/proc/stat").readline().split()[1:]))
    return f[3] + f[4], sum(f)
i0, t0 = snap(); time.sleep(1); i1, t1 = snap(); print(round(100 * (i1 - i0) / (t1 - t0)))'
}

# ---------------------------------------------------------------------------------------------
# The frame of a service benchmark (events_rsvp_bench.sh, volunteering_signup_bench.sh).

# bench_init SERVICE EXTRA_COUNT_VARIABLE...: reads the settings every service benchmark has
# (BENCH_SECONDS, BENCH_WARMUP_SECONDS, BENCH_DB_CONNECTIONS, BENCH_WORKERS, BENCH_CONCURRENCY,
# BENCH_MEMBERS, BENCH_SERVER_CPU, BENCH_CLIENT_CPU, BENCH_BUILD_DIR, BENCH_OUT; see the
# scripts' headers),
# checks them and the named extra ones are whole numbers, checks the tools and binaries, makes
# the scratch folder and sets the cleanup trap. SERVICE is the service's name (its binary is
# build/services/SERVICE/SERVICE).
bench_init() {
  SERVICE_NAME="$1"; shift
  SECS="${BENCH_SECONDS:-10}"
  WARMUP="${BENCH_WARMUP_SECONDS:-3}"
  CONNS="${BENCH_DB_CONNECTIONS:-8}"
  # Worker threads of the service: as many as its connections, the shape of its defaults
  # (HC_WORKERS = HC_DB_POOL_SIZE = 16). With twice as many workers as connections (this
  # bench's default until 2026-12-01), half the workers waited for a connection at every call:
  # 24-26 context switches per RSVP on the machine against 17-18, and a third more of the
  # service's CPU per RSVP (bench/README.md).
  WORKERS="${BENCH_WORKERS:-${CONNS}}"
  CONCURRENCY="${BENCH_CONCURRENCY:-32}"
  # Members the gRPC side of a write benchmark writes as (write_load), a random one per call.
  MEMBERS="${BENCH_MEMBERS:-2000}"
  # The services prepare their hot statements once per connection (hc::postgres::ExecPrepared),
  # so the ceiling does too; "extended" (unnamed statements) matches a build from before that.
  PGBENCH_MODE="${BENCH_PGBENCH_MODE:-prepared}"
  [[ "${PGBENCH_MODE}" == prepared || "${PGBENCH_MODE}" == extended ]] \
    || hc_die "BENCH_PGBENCH_MODE=${PGBENCH_MODE} must be prepared or extended"
  SERVER_CPU="${BENCH_SERVER_CPU:-1}"
  CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
  BUILD_DIR="${BENCH_BUILD_DIR:-${HC_REPO_ROOT}/build}"
  OUT="${BENCH_OUT:-${HC_HOME}/bench/${SERVICE_NAME}-$(date -u +%Y%m%dT%H%M%SZ)}"
  local v
  for v in SECS WARMUP CONNS WORKERS CONCURRENCY MEMBERS SERVER_CPU CLIENT_CPU "$@"; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || hc_die "${v}=${!v} must be a whole number"
  done
  ECHO_BIN="${BUILD_DIR}/bench/echo_server"
  SERVICE_BIN="${BUILD_DIR}/services/${SERVICE_NAME}/${SERVICE_NAME}"
  TOKEN_BIN="${BUILD_DIR}/libs/auth/hc-token"
  WRITE_LOAD_BIN="${BUILD_DIR}/bench/write_load"
  HOST=127.0.0.1
  ISSUER="homecoming-bench"
  hc_require_root
  hc_need ghz pgbench psql taskset python3
  local b
  for b in "${ECHO_BIN}" "${SERVICE_BIN}" "${TOKEN_BIN}" "${WRITE_LOAD_BIN}"; do
    [[ -x "${b}" ]] || hc_die "${b} not built; run scripts/build.sh"
  done
  mkdir -p "${OUT}"
  TMP="$(mktemp -d "/tmp/hc-${SERVICE_NAME}-bench.XXXXXX")"
  STARTED_STACK=0 DB_NAME="" PG="" ECHO_PID="" SERVICE_PID="" BENCH_TOPICS=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# The EXIT trap: servers, the database, the stack if this run started it, the scratch folder.
bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [[ -n "${SERVICE_PID}" ]]; then hc_stop_pid "${SERVICE_PID}" "${SERVICE_NAME}" 30; fi
  if [[ -n "${ECHO_PID}" ]]; then hc_stop_pid "${ECHO_PID}" echo_server 10; fi
  if [[ -n "${DB_NAME}" ]]; then
    psql -X -q "${PG}/postgres" -c "DROP DATABASE IF EXISTS \"${DB_NAME}\" WITH (FORCE)" \
      >/dev/null || hc_warn "could not drop database ${DB_NAME}"
  fi
  local t
  for t in "${BENCH_TOPICS[@]}"; do
    kafka_topic_tool --delete --if-exists --topic "${t}" >/dev/null 2>&1 \
      || hc_warn "could not delete topic ${t}"
  done
  if ((STARTED_STACK)); then scripts/stack.sh down --profile test >/dev/null 2>&1; fi
  rm -rf "${TMP}"
  exit "${rc}"
}

# bench_require_built "SERVICE..." [BINARY...]: dies unless each service's binary under
# BUILD_DIR and each other binary exist and are executable.
bench_require_built() {
  local s b
  for s in $1; do
    [[ -x "${BUILD_DIR}/services/${s}/${s}" ]] || hc_die "${s} not built; run scripts/build.sh"
  done
  shift
  for b in "$@"; do
    [[ -x "${b}" ]] || hc_die "${b} not built; run scripts/build.sh"
  done
}

# bench_test_stack: the test stack (started here, and stopped at the end, only when it was not
# running: sets STARTED_STACK) with its stack.env exported.
bench_test_stack() {
  if ! scripts/stack.sh status --profile test >/dev/null 2>&1; then
    STARTED_STACK=1
    scripts/stack.sh up --profile test >"${OUT}/stack-up.log" 2>&1 \
      || { hc_tail "${OUT}/stack-up.log"; hc_die "could not start the test stack"; }
  fi
  set -a
  # shellcheck disable=SC1091
  . "${HC_HOME}/test/stack.env"
  set +a
}

# bench_release DATABASE...: the end of a run that made its own databases and topics: drops the
# databases, deletes BENCH_TOPICS, stops the test stack when this run started it (STARTED_STACK)
# and removes TMP. Warns, never fails (it runs in the EXIT trap).
bench_release() {
  local d t
  for d in "$@"; do
    psql -X -q "${PG}/postgres" -c "DROP DATABASE IF EXISTS \"${d}\" WITH (FORCE)" >/dev/null \
      || hc_warn "could not drop database ${d}"
  done
  for t in "${BENCH_TOPICS[@]}"; do
    kafka_topic_tool --delete --if-exists --topic "${t}" >/dev/null 2>&1 \
      || hc_warn "could not delete topic ${t}"
  done
  if ((STARTED_STACK)); then scripts/stack.sh down --profile test >/dev/null 2>&1; fi
  rm -rf "${TMP}"
}

# bench_idle_check: sets IDLE (% of the CPU idle now) and warns when the figures will be skewed.
bench_idle_check() {
  IDLE="$(idle_pct)"
  ((IDLE >= 80)) || hc_warn "only ${IDLE}% of the CPU was idle before the run: figures are skewed"
}

# bench_stack_and_database: bench_test_stack and a fresh database; sets PG, DB_NAME and IDLE.
bench_stack_and_database() {
  bench_test_stack
  PG="${HC_PG_URL_BASE}"
  DB_NAME="bench_${SERVICE_NAME}_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  psql -X -q -v ON_ERROR_STOP=1 "${PG}/postgres" -c "CREATE DATABASE \"${DB_NAME}\"" >/dev/null \
    || { DB_NAME=""; hc_die "cannot create a database"; }
  bench_idle_check
}

# kafka_topic_tool ARGS...: Kafka's TopicCommand against the test stack's broker.
kafka_topic_tool() {
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="${HC_HOME}/test/kafka/tools-log4j2.properties" \
    -cp "${HC_KAFKA_CLASSPATH}" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "${HC_KAFKA_BROKERS}" "$@"
}

# bench_topics NAME...: empty topics of this run ("bench.<database>.<NAME>"), deleted at the
# end, for the facts the service consumes. On the shared topics it would start with every fact
# the tests ever left there (a new consumer group reads from the beginning): thousands of
# erasures, each invalidating cached reads, measured as if they were the load. Sets
# TOPIC_<NAME> for each.
bench_topics() {
  local name pids=() i
  for name in "$@"; do
    BENCH_TOPICS+=("bench.${DB_NAME}.${name}")
    printf -v "TOPIC_${name}" '%s' "bench.${DB_NAME}.${name}"
    kafka_topic_tool --create --if-not-exists --topic "bench.${DB_NAME}.${name}" --partitions 3 \
      --replication-factor 1 >"${OUT}/topic-${name}.log" 2>&1 &
    pids+=("$!")
  done
  local names=("$@")
  for i in "${!pids[@]}"; do
    wait "${pids[i]}" || {
      hc_tail "${OUT}/topic-${names[i]}.log"
      hc_die "could not create topic bench.${DB_NAME}.${names[i]}"
    }
  done
}

# bench_start_service [VAR=VALUE...]: a signing key, a member's token (MEMBER, MEMBER_TOKEN),
# and the service on SERVER_CPU against the fresh database with CONNS connections and WORKERS
# workers, reading membership's facts from an empty topic of this run, plus the extra settings
# given; sets SERVICE_PID and ADDR.
bench_start_service() {
  bench_topics membership
  head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${TMP}/jwt.key"
  MEMBER="$(python3 -c 'import uuid; print(uuid.uuid4())')"
  MEMBER_TOKEN="$("${TOKEN_BIN}" --key-file "${TMP}/jwt.key" --issuer "${ISSUER}" --ttl 3600 \
    --sub "${MEMBER}" --roles alumnus)"
  env HC_GRPC_ADDR="${HOST}:0" HC_METRICS_ADDR="${HOST}:0" HC_DATABASE_URL="${PG}/${DB_NAME}" \
    HC_REDIS_ADDR="${HC_REDIS_ADDR}" HC_KAFKA_BROKERS="${HC_KAFKA_BROKERS}" \
    HC_CONSUMER_GROUP="${SERVICE_NAME}-bench-${DB_NAME}" HC_MEMBERSHIP_TOPIC="${TOPIC_membership}" \
    HC_JWT_ISSUER="${ISSUER}" \
    HC_JWT_KEY_FILE="${TMP}/jwt.key" HC_WORKERS="${WORKERS}" HC_DB_POOL_SIZE="${CONNS}" \
    HC_WORK_QUEUE=4096 HC_CACHE_TTL_SECONDS=3600 HC_LOG_LEVEL=info "$@" \
    taskset -c "${SERVER_CPU}" "${SERVICE_BIN}" >"${OUT}/${SERVICE_NAME}.log" 2>&1 &
  SERVICE_PID=$!
  local port
  port="$(wait_for_line "${OUT}/${SERVICE_NAME}.log" 'serving gRPC on port ([0-9]+)' \
    "${SERVICE_PID}" 60)"
  ADDR="${HOST}:${port}"
}

# bench_echo_ceiling: stops the service, then measures the echo server at full load (X_RPS
# X_P50 X_P99 X_ERR) and at half of it (XH_RPS ...).
bench_echo_ceiling() {
  hc_stop_pid "${SERVICE_PID}" "${SERVICE_NAME}" 30
  SERVICE_PID=""
  taskset -c "${SERVER_CPU}" "${ECHO_BIN}" "${HOST}:0" >"${OUT}/echo_server.log" 2>&1 &
  ECHO_PID=$!
  local port
  port="$(wait_for_line "${OUT}/echo_server.log" 'listening on port ([0-9]+)' "${ECHO_PID}" 20)"
  local args=(--proto proto/homecoming/testing/v1/echo.proto -d '{"message":"hello"}')
  local call="homecoming.testing.v1.EchoService/Echo"
  ghz_run echo-warmup "${HOST}:${port}" "${call}" "${WARMUP}" "${args[@]}"
  ghz_run echo "${HOST}:${port}" "${call}" "${SECS}" "${args[@]}"
  read -r X_RPS X_P50 X_P99 X_ERR <<<"$(ghz_stats echo)"
  ghz_run echo-half "${HOST}:${port}" "${call}" "${SECS}" "${args[@]}" --rps "$(half "${X_RPS}")"
  read -r XH_RPS XH_P50 XH_P99 XH_ERR <<<"$(ghz_stats echo-half)"
}

# bench_grpc_write_run RUN KIND TABLE IDS SECONDS [RATE]: one gRPC run of a write (write_load
# KIND: rsvp or signup) that makes a row of TABLE per OK call, to the ids in the file IDS one
# each, by BENCH_MEMBERS members; closed loop at CONCURRENCY calls in flight, or open loop at
# RATE calls a second. Writes "rps p50_ms p99_ms errors ok_calls" to $OUT/RUN.stats (the CPU
# per call divides by ok_calls, not rps x seconds: the run lasts until its last answer); warns
# when the rows and the OK calls differ, and when the ids ran out before the time did.
bench_grpc_write_run() {
  local run="$1" kind="$2" table="$3" ids="$4" secs="$5" before after ok; shift 5
  before="$(psql -X -Atq "${PG}/${DB_NAME}" -c "SELECT count(*) FROM ${table}")"
  taskset -c "${CLIENT_CPU}" "${WRITE_LOAD_BIN}" "${ADDR}" "${TMP}/jwt.key" "${ISSUER}" \
    "${kind}" "${ids}" "${MEMBERS}" "${CONCURRENCY}" "${secs}" "$@" >"${OUT}/${run}.txt" \
    2>&1 || { hc_tail "${OUT}/${run}.txt"; hc_die "write_load failed"; }
  after="$(psql -X -Atq "${PG}/${DB_NAME}" -c "SELECT count(*) FROM ${table}")"
  # calls SENT OK ERRORS RPS P50 P99 P99.9
  read -r _ _ ok _ _ _ _ _ < <(grep '^calls ' "${OUT}/${run}.txt")
  awk '/^calls / { print $5, $6, $7, $4, $3 }' "${OUT}/${run}.txt" >"${OUT}/${run}.stats"
  ((after - before == ok)) || hc_warn "${run}: ${ok} calls OK but $((after - before)) new rows" \
    "in ${table}"
  if grep -q '^ids_exhausted' "${OUT}/${run}.txt"; then
    hc_warn "${run}: ran out of ids before ${secs}s (seed more)"
  fi
}

# bench_write_vs_pgbench NAME KIND TABLE SCRIPT: the write through gRPC (write_load KIND: a
# warm-up, full load, then half of it; ids $TMP/NAME-{warmup,full,half}.ids) beside pgbench
# running SCRIPT (full load, then half of it). Sets G_RPS G_P50 G_P99 G_ERR (gRPC, full),
# GH_* (gRPC, half), P_TPS P_P50 P_P99 P_ERR (pgbench, full), PH_* (pgbench, half), and the
# CPU per call of the whole machine and of the service: G_CPU G_SVC, P_CPU P_SVC; G_BREAKDOWN
# and P_BREAKDOWN: that CPU per call by process group (cpu_breakdown); G_SERVED and P_SERVED:
# the machine's CPU per call less the load tool's (cpu_served); CALIBRATE_BEFORE and
# CALIBRATE_AFTER: calibrate's figure before the full-load gRPC run and after pgbench's.
bench_write_vs_pgbench() {
  local name="$1" kind="$2" table="$3" script="$4" m0 m1 s0 s1
  # pgbench first, unmeasured, so that PostgreSQL, the outbox relay and Kafka are warm before
  # the first measured run, not only before the second: cold caches (and a broker this bench
  # has just started) would otherwise land on the gRPC run alone.
  pgbench_run "${name}-pgbench-warmup" "${script}" -T "$((STARTED_STACK ? 30 : WARMUP))"
  bench_grpc_write_run "${name}-warmup" "${kind}" "${table}" "${TMP}/${name}-warmup.ids" \
    "${WARMUP}"
  CALIBRATE_BEFORE="$(calibrate)"
  cpu_snap "${TMP}/cpu0"
  m0="$(busy_ms)" s0="$(proc_ms "${SERVICE_PID}")"
  bench_grpc_write_run "${name}-grpc" "${kind}" "${table}" "${TMP}/${name}-full.ids" "${SECS}"
  m1="$(busy_ms)" s1="$(proc_ms "${SERVICE_PID}")"
  cpu_snap "${TMP}/cpu1"
  read -r G_RPS G_P50 G_P99 G_ERR G_OK <"${OUT}/${name}-grpc.stats"
  read -r G_CPU G_SVC <<<"$(cpu_per_call "${G_OK}" "${m0}" "${m1}" "${s0}" "${s1}")"
  G_BREAKDOWN="$(cpu_breakdown "${TMP}/cpu0" "${TMP}/cpu1" "${G_OK}")"
  G_SERVED="$(cpu_served "${TMP}/cpu0" "${TMP}/cpu1" "${G_OK}")"
  cpu_snap "${TMP}/cpu0"
  m0="$(busy_ms)" s0="$(proc_ms "${SERVICE_PID}")"
  pgbench_run "${name}-pgbench" "${script}"
  m1="$(busy_ms)" s1="$(proc_ms "${SERVICE_PID}")"
  cpu_snap "${TMP}/cpu1"
  read -r P_TPS P_P50 P_P99 P_ERR P_DONE <"${OUT}/${name}-pgbench.stats"
  read -r P_CPU P_SVC <<<"$(cpu_per_call "${P_DONE}" "${m0}" "${m1}" "${s0}" "${s1}")"
  P_BREAKDOWN="$(cpu_breakdown "${TMP}/cpu0" "${TMP}/cpu1" "${P_DONE}")"
  P_SERVED="$(cpu_served "${TMP}/cpu0" "${TMP}/cpu1" "${P_DONE}")"
  CALIBRATE_AFTER="$(calibrate)"
  bench_grpc_write_run "${name}-grpc-half" "${kind}" "${table}" "${TMP}/${name}-half.ids" \
    "${SECS}" "$(half "${G_RPS}")"
  read -r GH_RPS GH_P50 GH_P99 GH_ERR _ <"${OUT}/${name}-grpc-half.stats"
  pgbench_run "${name}-pgbench-half" "${script}" --rate "$(half "${P_TPS}")"
  read -r PH_TPS PH_P50 PH_P99 PH_ERR _ <"${OUT}/${name}-pgbench-half.stats"
}

# bench_write_ids NAME PREFIX COUNT: the ids PREFIX + 12 hex digits of 1..COUNT, shuffled (a
# fixed seed; BENCH_SHUFFLE=0 keeps them in order, the shape of the ghz runs before
# 2026-11-30) and cut in three files for bench_write_vs_pgbench: $TMP/NAME-warmup.ids (a
# fifth), NAME-full.ids and NAME-half.ids (two fifths each).
bench_write_ids() {
  python3 - "$1" "$2" "$3" "${TMP}" "${BENCH_SHUFFLE:-1}" <<'PY'
import random, sys
name, prefix, n, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ids = [f"{prefix}{i:012x}" for i in range(1, n + 1)]
if sys.argv[5] != "0":
    random.Random(20261130).shuffle(ids)
cuts = {"warmup": (0, n // 5), "full": (n // 5, 3 * n // 5), "half": (3 * n // 5, n)}
for part, (lo, hi) in cuts.items():
    with open(f"{tmp}/{name}-{part}.ids", "w") as f:
        f.write("".join(i + "\n" for i in ids[lo:hi]))
PY
}

# bench_cached_read NAME CALL [ghz args...]: a read at full load after a warm-up, then at half
# of it; sets R_RPS R_P50 R_P99 R_ERR and RH_*.
bench_cached_read() {
  local name="$1" call="$2"; shift 2
  ghz_run "${name}-warmup" "${ADDR}" "${call}" "${WARMUP}" "$@"
  ghz_run "${name}" "${ADDR}" "${call}" "${SECS}" "$@"
  read -r R_RPS R_P50 R_P99 R_ERR <<<"$(ghz_stats "${name}")"
  ghz_run "${name}-half" "${ADDR}" "${call}" "${SECS}" "$@" --rps "$(half "${R_RPS}")"
  read -r RH_RPS RH_P50 RH_P99 RH_ERR <<<"$(ghz_stats "${name}-half")"
}
