#!/usr/bin/env bash
# Runs the whole system from the container images (deploy/compose.yaml, podman-compose) on the
# same ports as scripts/run.sh: builds the images when one is missing, starts everything, waits
# until each part answers, loads the same demo data as run.sh and prints where to reach it.
#
#   scripts/compose.sh up                 start (or start again) and load the demo data
#   scripts/compose.sh down [--volumes]   stop and remove the containers (--volumes: the data
#                                         and keys too, for a fresh start)
#   scripts/compose.sh status             the containers
#   scripts/compose.sh rss                the resident memory of every container, and the sum
#   scripts/compose.sh smoke              through the edge as a browser would: dev sign-in as
#                                         Ana, list events, RSVP to the alumni meeting, and
#                                         wait for notifications' email in Mailpit; then
#                                         Prometheus scrapes every job, rules loaded
#
# Stop scripts/run.sh's system first (scripts/run.sh stop): both take the same ports.
# Environment: HC_HOME (default /var/tmp/homecoming; the demo data's ids go to $HC_HOME/compose),
# HC_IMAGE_TAG is not used: the compose file names the :dev images.
set -euo pipefail
HC_LOG_TAG="compose"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${HC_REPO_ROOT}"

export CONTAINERS_CONF="${HC_REPO_ROOT}/deploy/images/containers.conf"
COMPOSE=(podman-compose -f deploy/compose.yaml)
IMAGES=(membership events volunteering notifications edge tools postgres redis kafka prometheus
  alertmanager mailpit sms-capture)
VOLUMES=(homecoming-keys homecoming-postgres homecoming-redis homecoming-kafka homecoming-prometheus)
KEYS_VOLUME=homecoming-keys

# shellcheck source=scripts/services.sh
source scripts/services.sh
SYS_STATE="${HC_HOME}/compose"
SYS_PORT_BASE=17000
SYS_DB_PREFIX=""
MEMBERSHIP_ADDR="$(sys_addr membership)"
EVENTS_ADDR="$(sys_addr events)"
VOLUNTEERING_ADDR="$(sys_addr volunteering)"
NOTIFICATIONS_ADDR="$(sys_addr notifications)"
EDGE_URL="$(sys_edge_url)"
export HC_PG_URL_BASE=postgresql://postgres@127.0.0.1:15432 HC_REDIS_ADDR=127.0.0.1:16379
export HC_KAFKA_BROKERS=127.0.0.1:19092 HC_SMTP_URL=smtp://127.0.0.1:11025
export HC_MAILPIT_URL=http://127.0.0.1:18025 HC_SMS_BASE_URL=http://127.0.0.1:18026
export HC_PROMETHEUS_URL=http://127.0.0.1:19090 HC_ALERTMANAGER_URL=http://127.0.0.1:19095

keys_dir() { podman volume inspect --format '{{.Mountpoint}}' "${KEYS_VOLUME}"; }

# Demo data needs tokens signed with the stack's key: the host's build of hc-token when there
# is one, else the tools image (both read the key from the keys volume).
sys_token() {
  if [[ -x build/libs/auth/hc-token ]]; then
    HC_JWT_KEY_FILE="$(keys_dir)/jwt-hs256.key" HC_JWT_ISSUER="${SYS_JWT_ISSUER}" \
      build/libs/auth/hc-token "$@"
  else
    podman run --rm --network none --volume "${KEYS_VOLUME}:/keys:ro" \
      -e HC_JWT_KEY_FILE=/keys/jwt-hs256.key -e HC_JWT_ISSUER="${SYS_JWT_ISSUER}" \
      localhost/homecoming/tools:dev hc-token "$@" 2>/dev/null
  fi
}

ensure_images() {
  local name missing=()
  for name in "${IMAGES[@]}"; do
    podman image exists "localhost/homecoming/${name}:dev" || missing+=("${name}")
  done
  if ((${#missing[@]} == 0)); then
    hc_log "all ${#IMAGES[@]} images present"
    return 0
  fi
  hc_log "building the missing images: ${missing[*]}"
  scripts/build.sh
  scripts/images.sh build "${missing[@]}"
}

http_ok() { curl -fsS -m 2 "$1" >/dev/null 2>&1; }
wait_http() {
  hc_wait_until 120 "$1" http_ok "$2" || { podman logs --tail 30 "hc-$1" >&2 || true; hc_die "$1 did not answer $2"; }
}
# The one-shot steps must have finished with 0 (the services restart until then anyway).
oneshot_done() {
  [[ "$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "hc-$1" 2>/dev/null)" == "exited 0" ]]
}
wait_oneshot() {
  hc_wait_until 180 "the $1 step" oneshot_done "$1" || { podman logs --tail 30 "hc-$1" >&2 || true; hc_die "the $1 step did not finish"; }
}
wait_service() {
  if ! hc_wait_until 120 "$1 to answer health checks" sys_healthy "$1"; then
    podman logs --tail 30 "hc-$1" >&2 || true
    hc_die "$1 did not start (podman logs hc-$1)"
  fi
  hc_log "$1 serving on $(sys_addr "$1")"
}

cmd_up() {
  hc_need podman podman-compose grpcurl curl psql python3
  hc_steps 5
  hc_step "images"
  ensure_images
  hc_step "starting the containers (podman-compose up -d)"
  "${COMPOSE[@]}" up -d >"${HC_HOME}/compose-up.log" 2>&1 ||
    { hc_tail "${HC_HOME}/compose-up.log" 30; hc_die "podman-compose up failed (${HC_HOME}/compose-up.log)"; }
  hc_step "waiting for every part to answer"
  local step name
  for step in keys databases topics; do wait_oneshot "${step}"; done
  wait_http mailpit "${HC_MAILPIT_URL}/readyz"
  wait_http sms-capture "${HC_SMS_BASE_URL}/messages"
  wait_http alertmanager "${HC_ALERTMANAGER_URL}/-/ready"
  wait_http prometheus "${HC_PROMETHEUS_URL}/-/ready"
  for name in "${SYS_SERVICES[@]}"; do wait_service "${name}"; done

  hc_step "loading demo data"
  mkdir -p "${SYS_STATE}"
  # Ids of what the demo made live beside the data; a fresh volume means fresh demo data.
  local stamp; stamp="$(podman volume inspect --format '{{.CreatedAt}}' homecoming-postgres)"
  if [[ "$(cat "${SYS_STATE}/volume-created" 2>/dev/null)" != "${stamp}" ]]; then
    rm -f "${SYS_STATE}"/demo-*
    echo "${stamp}" >"${SYS_STATE}/volume-created"
  fi
  # shellcheck source=scripts/demo-data.sh
  source scripts/demo-data.sh
  # The edge reads its dev sign-in list when it starts: hand it the demo members and restart it.
  local keys; keys="$(keys_dir)"
  if ! cmp -s "${SYS_STATE}/dev-users.json" "${keys}/dev-users.json"; then
    install -m 600 -o 65532 -g 65532 "${SYS_STATE}/dev-users.json" "${keys}/dev-users.json"
    podman restart --time 30 hc-edge >/dev/null
  fi
  wait_service edge
  # The signing key beside the demo ids, as run.sh keeps its own: gRPC calls mint their tokens
  # the same way against either system.
  install -m 600 "${keys}/jwt-hs256.key" "${SYS_STATE}/jwt-hs256.key"

  hc_step "ready"
  cat <<INFO

Homecoming is running from its images (podman-compose; published on 127.0.0.1 only):
$(sys_print_endpoints)
  logs              podman logs hc-<name>   (podman ps: every container)
  keys              volume ${KEYS_VOLUME} (made once by the keys step)

Demo: two "Your plans on <date>" emails in Mailpit and a text to Eli on the SMS capture page.

$(sys_print_try_it "${SYS_STATE}/jwt-hs256.key")

Stop with: scripts/compose.sh down   (data kept; --volumes removes it and the keys)
INFO
}

cmd_down() {
  hc_need podman podman-compose
  "${COMPOSE[@]}" down -t 30 >"${HC_HOME}/compose-down.log" 2>&1 ||
    { hc_tail "${HC_HOME}/compose-down.log" 30; hc_die "podman-compose down failed"; }
  # podman-compose 1.0.3 leaves its network behind; up makes it again.
  podman network rm --force deploy_default >/dev/null 2>&1 || true
  hc_log "containers stopped and removed"
  if [[ "${1:-}" == --volumes ]]; then
    podman volume rm --force "${VOLUMES[@]}" >/dev/null
    rm -rf "${SYS_STATE}"
    hc_log "volumes removed: ${VOLUMES[*]}"
  fi
}

# Resident memory of every running container of the stack, summed over each container's
# processes as the host sees them: RSS (VmRSS; pages shared between processes, such as
# PostgreSQL's shared buffers, counted in each) and PSS (each shared page split between its
# users: the sum is what the stack really holds).
cmd_rss() {
  local ctr pid rss pss total_rss=0 total_pss=0
  printf '  %-18s %9s %9s\n' container "RSS MB" "PSS MB"
  for ctr in $(podman ps --filter label=io.podman.compose.project=deploy --format '{{.Names}}'); do
    rss=0 pss=0
    for pid in $(podman top "${ctr}" hpid | tail -n +2); do
      rss=$((rss + $(hc_rss_kib "${pid}"))) pss=$((pss + $(hc_pss_kib "${pid}")))
    done
    printf '  %-18s %9.1f %9.1f\n' "${ctr}" "$(mb "${rss}")" "$(mb "${pss}")"
    total_rss=$((total_rss + rss)) total_pss=$((total_pss + pss))
  done
  printf '  %-18s %9.1f %9.1f\n' total "$(mb "${total_rss}")" "$(mb "${total_pss}")"
}
mb() { awk -v k="$1" 'BEGIN { print k / 1024 }'; }

# Counts Mailpit's messages to one address.
mails_to() {
  curl -fsS "${HC_MAILPIT_URL}/api/v1/messages?limit=500" | python3 -c '
import json, sys
print(sum(1 for m in json.load(sys.stdin)["messages"] for a in m["To"] if a["Address"] == sys.argv[1]))' "$1"
}

# all_scraped: Prometheus (in its image) scrapes every job with up == 1 and has loaded the
# alert rules.
all_scraped() {
  curl -fsS "${HC_PROMETHEUS_URL}/api/v1/query" --data-urlencode 'query=min(up) and count(up) >= 5' |
    python3 -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; sys.exit(0 if r and r[0]["value"][1] == "1" else 1)' &&
    curl -fsS "${HC_PROMETHEUS_URL}/api/v1/rules" |
    python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["data"]["groups"] else 1)'
}

cmd_smoke() {
  hc_need curl python3
  local ana jar origin=(-H "Origin: ${EDGE_URL}") csrf events meeting before
  ana="$(cat "${SYS_STATE}/demo-member-id" 2>/dev/null)" || hc_die "no demo data (scripts/compose.sh up)"
  jar="$(mktemp)"
  trap 'rm -f "${jar}"' RETURN
  curl -fsS -o /dev/null -c "${jar}" "${origin[@]}" --data-urlencode "member_id=${ana}" \
    "${EDGE_URL}/auth/dev" || hc_die "dev sign-in as Ana failed"
  csrf="$(curl -fsS -b "${jar}" "${EDGE_URL}/auth/session" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["csrfToken"])')" ||
    hc_die "no session after the dev sign-in"
  hc_log "signed in through ${EDGE_URL}/auth/dev as the demo member Ana"
  api() {
    curl -fsS -b "${jar}" "${origin[@]}" -H "X-CSRF-Token: ${csrf}" \
      -H 'Content-Type: application/json' -d "$2" "${EDGE_URL}/alumni.events.v1.EventsService/$1"
  }
  events="$(api ListEvents '{}')" || hc_die "ListEvents through the edge failed"
  meeting="$(python3 -c '
import json, sys
for e in json.load(sys.stdin).get("events", []):
    if e.get("title") == "Monthly alumni meeting":
        print(e.get("eventId") or e.get("event_id")); break' <<<"${events}")"
  [[ -n "${meeting}" ]] || hc_die "the demo alumni meeting is not in ListEvents: ${events}"
  hc_log "listed events: the alumni meeting is ${meeting}"
  before="$(mails_to ana@demo.homecoming.local)"
  api Rsvp "{\"eventId\": \"${meeting}\"}" >/dev/null || hc_die "Rsvp through the edge failed"
  hc_log "RSVP'd to the alumni meeting; waiting for notifications' email to Ana in Mailpit"
  more_mail() { (($(mails_to ana@demo.homecoming.local) > before)); }
  hc_wait_until 60 "an email to Ana in Mailpit" more_mail || hc_die "no email reached Mailpit"
  hc_wait_until 60 "Prometheus to scrape all five jobs with its rules loaded" all_scraped ||
    hc_die "Prometheus (${HC_PROMETHEUS_URL}) does not scrape every job, or has no rules"
  hc_log "Prometheus scrapes the four services and the edge, rules loaded"
  hc_log "smoke passed: sign-in, ListEvents, Rsvp, the email and the scrape, all through the images"
}

case "${1:-}" in
  up) cmd_up ;;
  smoke) cmd_smoke ;;
  down) shift; cmd_down "$@" ;;
  status) podman ps -a --filter label=io.podman.compose.project=deploy --format '{{.Names}}\t{{.Status}}' ;;
  rss) cmd_rss ;;
  -h | --help | "") awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" ;;
  *) hc_die "unknown command '$1' (try --help)" ;;
esac
