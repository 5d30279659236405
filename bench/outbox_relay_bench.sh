#!/usr/bin/env bash
# Outbox relay drain rate (rows/s from a 50,000-row backlog) against Kafka's ProducerPerformance
# measured in the same run, and the standby's PostgreSQL sessions per second
# (bench/outbox_relay_bench.cc does the measuring; see its header).
#
#   bench/outbox_relay_bench.sh                 # after scripts/build.sh
#   BENCH_BEFORE_REV=4f802dc bench/outbox_relay_bench.sh   # also the relay as of that commit
#
# Uses the test stack (scripts/stack.sh --profile test), which must be running; the bench makes
# its own database (dropped) and topics (left behind).
#
# Environment:
#   BENCH_ROUNDS      runs of each binary, alternating (default 3)
#   BENCH_BEFORE_REV  a commit whose relay to measure too: its tree is exported to
#                     build-before/src, the bench copied in and built with -DHC_BENCH_OLD_OUTBOX
#   BENCH_BUILD_DIR   where the current binaries are (default build/)
set -euo pipefail
HC_LOG_TAG="outbox-bench"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "${HC_REPO_ROOT}"

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
  exit 0
fi
ROUNDS="${BENCH_ROUNDS:-3}"
BUILD_DIR="${BENCH_BUILD_DIR:-${HC_REPO_ROOT}/build}"
AFTER_BIN="${BUILD_DIR}/bench/outbox_relay_bench"
[[ -x "${AFTER_BIN}" ]] || hc_die "${AFTER_BIN} not built; run scripts/build.sh"
ENV_FILE="${HC_HOME}/test/stack.env"
[[ -f "${ENV_FILE}" ]] || hc_die "no ${ENV_FILE}: start scripts/stack.sh up --profile test"
set -a
# shellcheck disable=SC1090
source "${ENV_FILE}"
set +a

BEFORE_BIN=""
if [[ -n "${BENCH_BEFORE_REV:-}" ]]; then
  hc_step "building the bench against ${BENCH_BEFORE_REV}'s relay in build-before/"
  rm -rf build-before/src && mkdir -p build-before/src
  git archive "${BENCH_BEFORE_REV}" | tar -x -C build-before/src
  cp bench/outbox_relay_bench.cc bench/CMakeLists.txt build-before/src/bench/
  cmake -S build-before/src -B build-before/build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS=-DHC_BENCH_OLD_OUTBOX >/dev/null
  ninja -C build-before/build outbox_relay_bench >/dev/null
  BEFORE_BIN="build-before/build/bench/outbox_relay_bench"
fi

for ((round = 1; round <= ROUNDS; round++)); do
  hc_step "round ${round}/${ROUNDS}: current relay"
  "${AFTER_BIN}" 2>/dev/null | sed 's/^/  after   /'
  if [[ -n "${BEFORE_BIN}" ]]; then
    hc_step "round ${round}/${ROUNDS}: relay at ${BENCH_BEFORE_REV}"
    "${BEFORE_BIN}" 2>/dev/null | sed 's/^/  before  /'
  fi
done
