#!/usr/bin/env bash
# The outbox relay at light load and with a backlog, against ceilings measured in the same run
# (build/bench/relay_bench does the measuring; see its header and bench/README.md):
#   1. Kafka's own produce -> consume latency (p50/p99) at BENCH_RATE messages a second;
#   2. outbox row committed -> fact consumed (p50/p99) at the same rate through outbox::Relay;
#      the added latency (2 minus 1) and the ratio;
#   3. the peak rate of one-row outbox transactions (BENCH_PEAK_CONNECTIONS connections);
#   4. the relay draining a BENCH_BACKLOG-row backlog: rows/s against that peak and against the
#      documented peak RSVP rate (BENCH_RSVP_PEAK), the ratios (aim: at least 2).
#
#   bench/relay_bench.sh                              # test stack running; about a minute
#   BENCH_BEFORE_BIN=/tmp/relay_bench-old bench/relay_bench.sh   # and an older build, same run
#
# Uses the test stack (scripts/stack.sh --profile test; started and stopped again only when it
# was not running); the driver makes its own database (dropped) and topics (left behind).
# Figures are printed and kept in $BENCH_OUT/summary.txt, never gated.
#
# Environment:
#   BENCH_RATE              messages (and commits) a second for the latencies (default 100)
#   BENCH_SECONDS           measured seconds of each latency run (default 10)
#   BENCH_BACKLOG           rows of the backlog drained (default 100000)
#   BENCH_PEAK_SECONDS      seconds of the peak write run (default 5)
#   BENCH_PEAK_CONNECTIONS  connections of the peak write run (default 8, the services' pool)
#   BENCH_RSVP_PEAK         the peak RSVP rate to compare with, per second (default 819:
#                           services/events/README.md, RSVP through gRPC at full load)
#   BENCH_BEFORE_BIN        a relay_bench built against an older relay (e.g. a checkout of that
#                           commit with this bench/ copied in), run right after the current one
#   BENCH_BEFORE_LABEL      its name in the output (default "before")
#   BENCH_BUILD_DIR         where the current binaries are (default build/)
#   BENCH_OUT               where the output goes (default $HC_HOME/bench/relay-<time>)
set -euo pipefail
HC_LOG_TAG="relay-bench"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "${HC_REPO_ROOT}"
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_help_if_asked "$@"

RATE="${BENCH_RATE:-100}"
SECS="${BENCH_SECONDS:-10}"
BACKLOG="${BENCH_BACKLOG:-100000}"
PEAK_SECS="${BENCH_PEAK_SECONDS:-5}"
PEAK_CONNS="${BENCH_PEAK_CONNECTIONS:-8}"
RSVP_PEAK="${BENCH_RSVP_PEAK:-819}"
BUILD_DIR="${BENCH_BUILD_DIR:-${HC_REPO_ROOT}/build}"
OUT="${BENCH_OUT:-${HC_HOME}/bench/relay-$(date -u +%Y%m%dT%H%M%SZ)}"
for v in RATE SECS BACKLOG PEAK_SECS PEAK_CONNS RSVP_PEAK; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || hc_die "${v}=${!v} must be a positive whole number"
done
AFTER_BIN="${BUILD_DIR}/bench/relay_bench"
[[ -x "${AFTER_BIN}" ]] || hc_die "${AFTER_BIN} not built; run scripts/build.sh"
hc_need python3
mkdir -p "${OUT}"

STARTED_STACK=0
relay_bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((STARTED_STACK)); then scripts/stack.sh down --profile test >/dev/null 2>&1; fi
  exit "${rc}"
}
trap relay_bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_test_stack

BEFORE_BIN="${BENCH_BEFORE_BIN:-}"
BEFORE_LABEL="${BENCH_BEFORE_LABEL:-before}"
[[ -z "${BEFORE_BIN}" || -x "${BEFORE_BIN}" ]] || hc_die "BENCH_BEFORE_BIN=${BEFORE_BIN} is not a program"

bench_idle_check

# run NAME BINARY: the driver's "key value" lines in $OUT/NAME.txt.
run() {
  hc_step "$1: Kafka ${RATE}/s, relay ${RATE}/s, peak writes, a ${BACKLOG}-row backlog"
  "$2" --rate "${RATE}" --seconds "${SECS}" --backlog "${BACKLOG}" \
    --peak-seconds "${PEAK_SECS}" --peak-connections "${PEAK_CONNS}" \
    >"${OUT}/$1.txt" 2>"${OUT}/$1.err" || { hc_tail "${OUT}/$1.err"; hc_die "relay_bench failed"; }
}

# report NAME: the figures of one run.
report() {
  python3 - "${OUT}/$1.txt" "$1" "${RATE}" "${RSVP_PEAK}" <<'EOF'
import re, sys
# The driver's figures; its log lines (spdlog's, on stdout too) are the others.
v = {m[1]: float(m[2]) for m in (re.fullmatch(r"([a-z0-9_]+) ([0-9.]+)", l.strip())
                                 for l in open(sys.argv[1])) if m}
name, rate, rsvp = sys.argv[2], sys.argv[3], float(sys.argv[4])
print(f"{name}:")
print(f"  {'':44} {'p50 ms':>8} {'p99 ms':>8}  messages")
print(f"  {'Kafka produce -> consume, ' + rate + '/s':44} {v['kafka_p50_ms']:8.2f} "
      f"{v['kafka_p99_ms']:8.2f}  {v['kafka_count']:.0f}/{v['expected_count']:.0f}")
print(f"  {'outbox commit -> consumed via relay, ' + rate + '/s':44} {v['relay_p50_ms']:8.2f} "
      f"{v['relay_p99_ms']:8.2f}  {v['relay_count']:.0f}/{v['expected_count']:.0f}")
add50, add99 = v['relay_p50_ms'] - v['kafka_p50_ms'], v['relay_p99_ms'] - v['kafka_p99_ms']
r50 = v['relay_p50_ms'] / v['kafka_p50_ms'] if v['kafka_p50_ms'] else float('nan')
print(f"  {'added by the relay (ratio to Kafka at p50)':44} {add50:8.2f} {add99:8.2f}  "
      f"x{r50:.1f}; aim p50 < 1 ms added: {'met' if add50 < 1 else 'NOT met'}")
d, p = v['drain_rows_per_s'], v['peak_write_per_s']
print(f"  drain of {v['backlog_rows']:.0f} rows        {d:8.0f} rows/s")
print(f"  peak one-row outbox commits {p:8.0f} /s  -> drain / peak {d / p:.2f}")
print(f"  documented peak RSVP rate   {rsvp:8.0f} /s  -> drain / peak {d / rsvp:.2f}"
      f"  (aim >= 2: {'met' if d >= 2 * rsvp else 'NOT met'})")
EOF
}

{
  echo "relay_bench: $(nproc) cores, ${IDLE}% idle before the run, commit" \
    "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- libs bench || echo ' (modified)')," \
    "$(date -u +%Y-%m-%dT%H:%MZ)"
} | tee "${OUT}/summary.txt"
run current "${AFTER_BIN}"
[[ -z "${BEFORE_BIN}" ]] || run "${BEFORE_LABEL}" "${BEFORE_BIN}"
{
  report current
  [[ -z "${BEFORE_BIN}" ]] || report "${BEFORE_LABEL}"
} | tee -a "${OUT}/summary.txt"
hc_log "output in ${OUT}"
