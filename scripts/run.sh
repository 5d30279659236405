#!/usr/bin/env bash
# The one run command: installs what is missing, builds, starts the local stack (PostgreSQL,
# Redis, Kafka, Prometheus, Mailpit, the SMS capture server), the services and the edge (the web
# app) on loopback, loads demo data, and prints where everything listens. Safe to run again (it
# restarts the services on the new build).
#
#   scripts/run.sh          start (or restart) everything
#   scripts/run.sh stop     stop the services and the stack
#   scripts/run.sh status   what runs, with each service's RSS and the whole stack's
#
# Environment: HC_HOME (default /var/tmp/homecoming).
set -euo pipefail
HC_LOG_TAG="run"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${HC_REPO_ROOT}"

# shellcheck source=scripts/services.sh
source scripts/services.sh
SYS_STATE="${HC_HOME}/dev"
SYS_PORT_BASE=17000
SYS_DB_PREFIX=""
JWT_KEY="$(sys_jwt_key)"
MEMBERSHIP_ADDR="$(sys_addr membership)"
EVENTS_ADDR="$(sys_addr events)"
VOLUNTEERING_ADDR="$(sys_addr volunteering)"
NOTIFICATIONS_ADDR="$(sys_addr notifications)"
EDGE_URL="$(sys_edge_url)"

case "${1:-start}" in
  stop)
    sys_stop_all
    scripts/stack.sh down --profile dev
    exit 0
    ;;
  status)
    # Each service's resident memory (VmRSS) beside it, and the whole local stack's at the end:
    # the services' and the edge's RSS, the stack's servers' RSS, PostgreSQL's as Pss summed over
    # its processes (they share its buffers, which RSS would count once per process).
    total=0
    for name in "${SYS_SERVICES[@]}" edge; do
      if pid="$(hc_pid_alive "${SYS_STATE}/services/${name}.pid" "${name}")"; then
        kib="$(hc_rss_kib "${pid}")"
        total=$((total + kib))
        printf '%-13s running (pid %s) on %s, RSS %s MiB\n' "${name}" "${pid}" \
          "$(sys_addr "${name}")" "$((kib / 1024))"
      else
        printf '%-13s stopped\n' "${name}"
      fi
    done
    rc=0
    stack="$(scripts/stack.sh status --profile dev)" || rc=$?
    echo "${stack}"
    while read -r server pid; do
      if [[ "${server}" == postgres ]]; then
        for p in "${pid}" $(pgrep -P "${pid}"); do total=$((total + $(hc_pss_kib "${p}"))); done
      else
        total=$((total + $(hc_rss_kib "${pid}")))
      fi
    done < <(sed -n 's/^ *\([a-z-]*\) *running *pid \([0-9]*\).*/\1 \2/p' <<<"${stack}")
    echo "RSS of the whole local stack (services, edge and servers): $((total / 1024)) MiB"
    exit "${rc}"
    ;;
  start) ;;
  -h | --help)
    sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit 0
    ;;
  *) hc_die "usage: scripts/run.sh [start|stop|status]" ;;
esac

hc_steps 7
hc_step "installing dependencies (with grpcurl and ghz)"
scripts/install-deps.sh --tools
hc_step "building (the services, the edge and the web app)"
scripts/build.sh
hc_step "starting PostgreSQL, Redis, Kafka, Prometheus, Mailpit and the SMS capture"
scripts/stack.sh up --profile dev
set -a
# shellcheck disable=SC1091
. "${SYS_STATE}/stack.env"
set +a

hc_step "starting the services"
sys_make_keys
sys_start_services

hc_step "loading demo data"
# shellcheck source=scripts/demo-data.sh
source scripts/demo-data.sh

hc_step "starting the edge (the web app and its API)"
sys_start edge
sys_wait edge

hc_step "ready"
cat <<INFO

Homecoming is running (all on 127.0.0.1):
$(sys_print_endpoints)
  service logs      ${SYS_STATE}/services/

What notifications did with the demo data (within seconds of the RSVPs):
  Open ${HC_MAILPIT_URL} : two "Your plans on <date>" emails (the social's RSVP confirmed),
    to ana@ and eli@demo.homecoming.local; each one's List-Unsubscribe header (Mailpit:
    Headers) is a signed link to the unsubscribe page above.
  Open ${HC_SMS_BASE_URL}/ : "...you're confirmed for <when>." texted to Eli (+15555550123),
    the one who granted SMS consent and chose SMS for events.
  Both also have it in their in-app inbox (ListInbox below, as Ana).

$(sys_print_try_it "${JWT_KEY}")

Stop everything with: scripts/run.sh stop
INFO
