# Helpers the service benchmarks share (events_rsvp_bench.sh, volunteering_signup_bench.sh).
# Sourced after scripts/lib.sh; the caller sets OUT (reports), TMP (scratch), CLIENT_CPU (the
# core of ghz and pgbench), CONCURRENCY (ghz calls in flight), CONNS (pgbench clients), SECS
# (seconds per pgbench run), PG and DB_NAME (pgbench's database).

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

# pgbench_run NAME SCRIPT [ARGS...]: writes "tps p50_ms p99_ms errors" to $OUT/NAME.stats
# (percentiles from the per-transaction log).
pgbench_run() {
  local name="$1" script="$2"; shift 2
  (cd "${TMP}" && taskset -c "${CLIENT_CPU}" pgbench -n -M extended -c "${CONNS}" -j 1 \
    -T "${SECS}" -f "${script}" -l --log-prefix="${name}" "$@" "${PG}/${DB_NAME}") \
    >"${OUT}/${name}.txt" 2>&1 || { hc_tail "${OUT}/${name}.txt"; hc_die "pgbench failed"; }
  (python3 - "${OUT}/${name}.txt" "${TMP}" "${name}" <<'EOF'
import glob, re, sys
text = open(sys.argv[1]).read()
tps = float(re.search(r"tps = ([0-9.]+)", text).group(1))
failed = re.search(r"number of failed transactions: ([0-9]+)", text)
# Columns: client, transaction, time (us), script, epoch, us[, schedule lag (us) with --rate].
# Under --rate the time counts from the scheduled start: take the lag off, as ghz measures
# from the actual send.
def latency(cols):
    return int(cols[2]) - (int(cols[6]) if len(cols) > 6 else 0)
lat = sorted(latency(l.split()) for f in glob.glob(f"{sys.argv[2]}/{sys.argv[3]}.*")
             for l in open(f) if l.strip())
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] / 1000 if lat else float("nan")
print(f"{tps:.0f} {pct(0.50):.2f} {pct(0.99):.2f} {failed.group(1) if failed else 0}")
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
ratio() { python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print(f"{a / b:.2f}")' "$@"; }
row() { printf '%-28s %10s %9s %9s %7s\n' "$@"; }
half() { echo $(( $1 / 2 > 0 ? $1 / 2 : 1 )); }

# idle_pct: how much of the CPU was idle over the last second, in percent.
idle_pct() {
  python3 -c '
import time
def snap():
    f = list(map(int, open("/proc/stat").readline().split()[1:]))
    return f[3] + f[4], sum(f)
i0, t0 = snap(); time.sleep(1); i1, t1 = snap(); print(round(100 * (i1 - i0) / (t1 - t0)))'
}
