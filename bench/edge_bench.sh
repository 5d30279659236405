#!/usr/bin/env bash
# What the edge adds to a call: the same unary RPC (events' GetEvent of the demo social, a
# cached read) through the edge (HTTP/1.1 keep-alive, Connect JSON, a session cookie) and
# straight to the events service over gRPC (ghz, a token for the same member), in one run:
#   1. each at full load (closed loop, BENCH_CONCURRENCY calls in flight): the ceiling is the
#      direct gRPC rate, the ratio says how much of it the edge path keeps;
#   2. both at half of the edge's full load (a fixed rate): p50/p99 side by side and the p50
#      the edge adds (the issue's aim: at most 0.3 ms).
#
#   scripts/run.sh && bench/edge_bench.sh
#
# Needs the local system that scripts/run.sh starts (the edge on 127.0.0.1:17080 with the dev
# sign-in page, events on 17002, the demo data). The edge is restarted with its per-address and
# per-session rate limits raised out of the way for the run (one client sending thousands of
# calls a second is what they exist to stop), and restarted with its defaults at the end.
# Figures are printed and kept in $BENCH_OUT/summary.txt, not gated.
#
# Environment:
#   BENCH_SECONDS      measured seconds per run (default 10)
#   BENCH_CONCURRENCY  calls in flight at full load (default 16)
#   BENCH_CLIENT_CPU   core of the load generators (default 0)
#   BENCH_OUT          where reports go (default $HC_HOME/bench/edge-<time>)
set -euo pipefail
HC_LOG_TAG="edge-bench"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "${HC_REPO_ROOT}"
# shellcheck source=scripts/services.sh
source scripts/services.sh

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
  sed -n '2,25s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
  exit 0
fi

SECS="${BENCH_SECONDS:-10}"
CONCURRENCY="${BENCH_CONCURRENCY:-16}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
OUT="${BENCH_OUT:-${HC_HOME}/bench/edge-$(date -u +%Y%m%dT%H%M%SZ)}"
STATE="${HC_HOME}/dev"
SYS_STATE="${STATE}" SYS_PORT_BASE=17000 SYS_DB_PREFIX=""
EDGE="http://127.0.0.1:17080"
EVENTS="127.0.0.1:17002"
LOAD="build/bench/http_load"
hc_need ghz curl python3 taskset
[[ -x "${LOAD}" ]] || hc_die "${LOAD} not built; run scripts/build.sh"
curl -fsS -m 2 "${EDGE}/healthz" >/dev/null 2>&1 || hc_die "the edge is not up: run scripts/run.sh"
MEMBER="$(cat "${STATE}/demo-member-id" 2>/dev/null)" || hc_die "no demo member: run scripts/run.sh"
EVENT="$(cat "${STATE}/demo-event-id" 2>/dev/null)" || hc_die "no demo event: run scripts/run.sh"
mkdir -p "${OUT}"
[[ -s "${STATE}/stack.env" ]] || hc_die "no local stack: run scripts/run.sh"
set -a
# shellcheck disable=SC1091
. "${STATE}/stack.env"
set +a
restore_edge() {
  trap - EXIT
  unset HC_EDGE_RATE_PER_IP_PER_MINUTE HC_EDGE_RATE_PER_SESSION_PER_MINUTE
  hc_log "restarting the edge with its own rate limits"
  sys_start edge && sys_wait edge
}
trap restore_edge EXIT
export HC_EDGE_RATE_PER_IP_PER_MINUTE=10000000 HC_EDGE_RATE_PER_SESSION_PER_MINUTE=10000000
sys_start edge
sys_wait edge

# A session for the demo member, through the dev sign-in page as a browser would.
jar="${OUT}/cookies.txt"
curl -fsS -o /dev/null -c "${jar}" -H "Origin: ${EDGE}" --data-urlencode "member_id=${MEMBER}" \
  "${EDGE}/auth/dev" || hc_die "dev sign-in failed"
cookie="$(awk '$6 ~ /hc_session$/ {print $6 "=" $7}' "${jar}")"
[[ -n "${cookie}" ]] || hc_die "the edge set no session cookie"
csrf="$(curl -fsS -H "Cookie: ${cookie}" "${EDGE}/auth/session" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["csrfToken"])')"
token="$(HC_JWT_KEY_FILE="${STATE}/jwt-hs256.key" HC_JWT_ISSUER=homecoming-local \
  build/libs/auth/hc-token --sub "${MEMBER}" --roles alumnus --ttl 3600)"

# edge_run NAME RATE: the edge path, closed loop when RATE is 0.
edge_run() {
  taskset -c "${CLIENT_CPU}" "${LOAD}" --port 17080 \
    --path /alumni.events.v1.EventsService/GetEvent --body "{\"eventId\": \"${EVENT}\"}" \
    --header "Cookie: ${cookie}" --header "X-CSRF-Token: ${csrf}" \
    --header "Origin: ${EDGE}" --connections "${CONCURRENCY}" --seconds "${SECS}" \
    --rate "$2" >"${OUT}/$1.json" || hc_die "http_load failed ($1)"
}
# direct_run NAME RATE: straight to events, closed loop when RATE is 0.
direct_run() {
  local rate=()
  (($2 > 0)) && rate=(--rps "$2")
  taskset -c "${CLIENT_CPU}" ghz --insecure --cpus 1 --import-paths proto \
    --proto proto/alumni/events/v1/events_service.proto \
    --call alumni.events.v1.EventsService/GetEvent -d "{\"event_id\": \"${EVENT}\"}" \
    -m "{\"authorization\": \"Bearer ${token}\"}" -c "${CONCURRENCY}" --connections 4 \
    -z "${SECS}s" --duration-stop wait "${rate[@]}" --format json -o "${OUT}/$1.raw.json" \
    "${EVENTS}" \
    2>"${OUT}/$1.err" || true
  python3 - "${OUT}/$1.raw.json" >"${OUT}/$1.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
lat = {int(d["percentage"]): d["latency"] / 1e6 for d in (r.get("latencyDistribution") or [])}
ok = int((r.get("statusCodeDistribution") or {}).get("OK", 0))
print(json.dumps({"requests": ok, "errors": int(r.get("count") or 0) - ok, "rps": r.get("rps"),
                  "p50_ms": lat.get(50), "p90_ms": lat.get(90), "p99_ms": lat.get(99)}))
EOF
  # ghz's report lists every call; the summary above is what is kept.
  rm -f "${OUT}/$1.raw.json"
}
field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "${OUT}/$1.json" "$2"; }

hc_log "warming up"
SECS=2 edge_run warmup-edge 0
SECS=2 direct_run warmup-direct 0
hc_log "full load, ${CONCURRENCY} in flight, ${SECS}s each"
direct_run direct-full 0
edge_run edge-full 0
half="$(python3 -c "print(max(1, int(float('$(field edge-full rps)') / 2)))")"
hc_log "half of the edge's full load: ${half}/s, ${SECS}s each"
direct_run direct-half "${half}"
edge_run edge-half "${half}"

python3 - "${OUT}" "${half}" <<'EOF' | tee "${OUT}/summary.txt"
import json, sys
out, half = sys.argv[1], sys.argv[2]
r = {n: json.load(open(f"{out}/{n}.json")) for n in
     ("direct-full", "edge-full", "direct-half", "edge-half")}
print(f"{'run':<28}{'rps':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
for n, label in (("direct-full", "gRPC direct, full load"), ("edge-full", "through the edge, full"),
                 ("direct-half", f"gRPC direct at {half}/s"), ("edge-half", f"edge at {half}/s")):
    x = r[n]
    print(f"{label:<28}{x['rps']:>9.0f}{x['p50_ms']:>9.2f}{x['p99_ms']:>9.2f}{x['errors']:>8}")
print(f"edge full-load rate / direct gRPC ceiling: {r['edge-full']['rps'] / r['direct-full']['rps']:.2f}")
added = r["edge-half"]["p50_ms"] - r["direct-half"]["p50_ms"]
print(f"p50 the edge adds at half load: {added:.3f} ms (aim <= 0.3 ms)")
EOF
hc_log "reports in ${OUT}"
