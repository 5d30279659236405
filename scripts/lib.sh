# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source it; do not execute it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Environment:
#   HC_HOME   state/runtime root outside the repo (default /var/tmp/homecoming)

if [[ -n "${_HC_LIB_SOURCED:-}" ]]; then return 0; fi
_HC_LIB_SOURCED=1

HC_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HC_HOME="${HC_HOME:-/var/tmp/homecoming}"
# shellcheck disable=SC2034  # used by the scripts that source this file
HC_KAFKA_LIBS="${HC_HOME}/kafka/libs"
HC_LOG_TAG="${HC_LOG_TAG:-$(basename "$0" .sh)}"
HC_STEP=0
HC_STEPS=0
_HC_T0="${SECONDS}"

# Kafka version comes from deploy/kafka/pom.xml so the pin lives in one place.
hc_kafka_version() {
  sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' \
    "${HC_REPO_ROOT}/deploy/kafka/pom.xml" | head -n1
}

# --- logging -----------------------------------------------------------------
# Lines look like "[stack:test 2/4 +3s] redis: started".
_hc_prefix() {
  local p="${HC_LOG_TAG}"
  if ((HC_STEPS > 0)); then p+=" ${HC_STEP}/${HC_STEPS}"; fi
  printf '[%s +%ss]' "${p}" "$((SECONDS - _HC_T0))"
}
hc_log()  { printf '%s %s\n' "$(_hc_prefix)" "$*" >&2; }
hc_warn() { printf '%s WARNING: %s\n' "$(_hc_prefix)" "$*" >&2; }
hc_die()  { printf '%s ERROR: %s\n' "$(_hc_prefix)" "$*" >&2; exit 1; }
# hc_steps N: announce the number of steps; hc_step MSG: advance and log.
hc_steps() { HC_STEPS="$1"; HC_STEP=0; }
hc_step()  { HC_STEP=$((HC_STEP + 1)); hc_log "$*"; }

# --- checks ------------------------------------------------------------------
hc_have() { command -v "$1" >/dev/null 2>&1; }
hc_need() {
  local c
  for c in "$@"; do
    hc_have "${c}" || hc_die "'${c}' not found; run scripts/install-deps.sh"
  done
}
hc_require_root() {
  [[ "$(id -u)" -eq 0 ]] || hc_die "must run as root (needs runuser/apt)"
}

# hc_port_open HOST PORT: true if something accepts TCP connections there.
hc_port_open() {
  # shellcheck disable=SC2016  # $1/$2 expand in the child bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# hc_wait_until SECONDS DESCRIPTION CMD...: poll CMD every 0.25s until it succeeds
# or the deadline passes (returns 1).
hc_wait_until() {
  local secs="$1" what="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      hc_warn "timed out after ${secs}s waiting for ${what}"
      return 1
    fi
    sleep 0.25
  done
}

# hc_wait_port HOST PORT SECONDS
hc_wait_port() {
  hc_wait_until "$3" "$1:$2 to accept connections" hc_port_open "$1" "$2"
}

# --- processes ---------------------------------------------------------------
# hc_pid_alive PIDFILE [PATTERN]: print the pid and succeed if the pid in PIDFILE
# is running (and its command line contains PATTERN, when given).
hc_pid_alive() {
  local pidfile="$1" pattern="${2:-}" pid cmd
  [[ -s "${pidfile}" ]] || return 1
  pid="$(tr -dc '0-9' <"${pidfile}")"
  if [[ -z "${pid}" ]] || hc_pid_gone "${pid}"; then return 1; fi
  if [[ -n "${pattern}" ]]; then
    cmd="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null)" || return 1
    [[ "${cmd}" == *"${pattern}"* ]] || return 1
  fi
  printf '%s\n' "${pid}"
}

# hc_rss_kib PID / hc_pss_kib PID: the process's resident memory in KiB, VmRSS (shared pages
# counted in every process that maps them) or Pss (shared pages split between their users);
# 0 once it has gone.
hc_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hc_pss_kib() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }

# hc_pid_gone PID: true if PID no longer runs. A zombie counts as gone: daemons are
# reparented to PID 1, which may reap them late (seconds, in some containers/VMs).
hc_pid_gone() {
  local stat
  kill -0 "$1" 2>/dev/null || return 0
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }"
  [[ "${stat%% *}" == Z ]]
}

# hc_stop_pid PID NAME [SECONDS]: SIGTERM, wait, then SIGKILL as a last resort.
hc_stop_pid() {
  local pid="$1" name="$2" secs="${3:-30}"
  kill -TERM "${pid}" 2>/dev/null || return 0
  if ! hc_wait_until "${secs}" "${name} (pid ${pid}) to exit" \
      hc_pid_gone "${pid}"; then
    hc_warn "${name} did not stop in ${secs}s; sending SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
    sleep 0.5
  fi
}

# hc_stop_daemon NAME PID_FN PID_FILE SECS [NOTE]: stops the daemon PID_FN finds (SIGTERM, then
# SIGKILL after SECS; NOTE is said beside the pid), or says it is not running; then drops its
# pid file.
hc_stop_daemon() {
  local name="$1" pid_fn="$2" pid_file="$3" secs="$4" note="${5:+, $5}" pid
  if pid="$("${pid_fn}")"; then
    hc_log "${name}: stopping (pid ${pid}${note})"
    hc_stop_pid "${pid}" "${name}" "${secs}"
  else
    hc_log "${name}: not running"
  fi
  rm -f "${pid_file}"
}

# hc_tail FILE [N]: last lines of a log, indented, for error messages.
hc_tail() {
  [[ -f "$1" ]] || return 0
  tail -n "${2:-20}" "$1" | sed 's/^/    | /' >&2
}
