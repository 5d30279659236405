# Starting and stopping Homecoming's own processes (the four services and the edge) on top of a
# running stack (scripts/stack.sh). Sourced by scripts/run.sh (the local system) and
# scripts/browser-test.sh (the browser tests' system); sources nothing itself.
#
# The caller sets, before calling anything here:
#   SYS_STATE      directory for the keys, pid files and logs
#   SYS_PORT_BASE  17000 locally, 27000 for the browser tests: gRPC on base+1..4, their metrics on
#                  base+101..104, the edge on base+80 (metrics base+180), notifications'
#                  unsubscribe page on base+84
#   SYS_DB_PREFIX  prefix of the database names ("" locally, "e2e_" for the browser tests)
# and exports stack.env's variables (HC_PG_URL_BASE, HC_REDIS_ADDR, HC_KAFKA_BROKERS, HC_SMTP_URL,
# HC_SMS_*).

SYS_SERVICES=(membership events volunteering notifications)
SYS_JWT_ISSUER="homecoming-local"

sys_port() {
  local i
  case "$1" in
    membership) i=1 ;; events) i=2 ;; volunteering) i=3 ;; notifications) i=4 ;; edge) i=80 ;;
    *) hc_die "sys_port: unknown process $1" ;;
  esac
  echo $((SYS_PORT_BASE + i))
}
sys_metrics_port() { echo $(($(sys_port "$1") + 100)); }
sys_addr() { echo "127.0.0.1:$(sys_port "$1")"; }
sys_edge_url() { echo "http://$(sys_addr edge)"; }
sys_jwt_key() { echo "${SYS_STATE}/jwt-hs256.key"; }

# The local secrets, made once per state directory: the HS256 signing secret (the edge mints
# access tokens with it and the services verify them), the data key sealing personal data at
# rest (losing it loses that data) and the key signing unsubscribe links.
sys_make_keys() {
  mkdir -p "${SYS_STATE}/services"
  local key="${SYS_STATE}/jwt-hs256.key"
  if [[ ! -s "${key}" ]]; then
    head -c 48 /dev/urandom | base64 -w0 >"${key}"
    chmod 600 "${key}"
  fi
  for key in data-key.hex unsubscribe-key.hex; do
    if [[ ! -s "${SYS_STATE}/${key}" ]]; then
      openssl rand -hex 32 >"${SYS_STATE}/${key}"
      chmod 600 "${SYS_STATE}/${key}"
    fi
  done
}

# A token for the local system (`sys_token --sub ID --roles R`), for loading demo data.
sys_token() {
  HC_JWT_KEY_FILE="$(sys_jwt_key)" HC_JWT_ISSUER="${SYS_JWT_ISSUER}" build/libs/auth/hc-token "$@"
}

sys_stop() {
  local name="$1" pid
  if pid="$(hc_pid_alive "${SYS_STATE}/services/${name}.pid" "${name}")"; then
    hc_log "stopping ${name} (pid ${pid})"
    hc_stop_pid "${pid}" "${name}" 30
  fi
  rm -f "${SYS_STATE}/services/${name}.pid"
}
sys_stop_all() {
  local name
  for name in edge "${SYS_SERVICES[@]}"; do sys_stop "${name}"; done
}

# sys_start NAME: (re)starts one process from build/, logging to SYS_STATE/services/NAME.log.
sys_start() {
  local name="$1" binary="build/services/$1/$1"
  [[ -x "${binary}" ]] || hc_die "${binary} is not built"
  sys_stop "${name}"
  (
    export HC_GRPC_ADDR HC_METRICS_ADDR
    HC_GRPC_ADDR="$(sys_addr "${name}")"
    HC_METRICS_ADDR="127.0.0.1:$(sys_metrics_port "${name}")"
    export HC_DATABASE_URL="${HC_PG_URL_BASE}/${SYS_DB_PREFIX}${name}"
    export HC_REDIS_ADDR HC_KAFKA_BROKERS
    export HC_JWT_ALG=HS256 HC_JWT_ISSUER="${SYS_JWT_ISSUER}" HC_JWT_KEY_FILE="${SYS_STATE}/jwt-hs256.key"
    export HC_DATA_KEY_FILE="${SYS_STATE}/data-key.hex"
    # Email and SMS: Mailpit and the SMS capture server (stack.env).
    export HC_SMTP_URL HC_SMS_BASE_URL HC_SMS_ACCOUNT_ID HC_SMS_TOKEN_FILE HC_SMS_FROM=Homecoming
    export HC_UNSUBSCRIBE_KEY_FILE="${SYS_STATE}/unsubscribe-key.hex"
    export HC_HTTP_ADDRESS="127.0.0.1:$((SYS_PORT_BASE + 84))"
    export HC_PUBLIC_BASE_URL="http://${HC_HTTP_ADDRESS}"
    export HC_MEMBERSHIP_ADDR HC_EVENTS_ADDR HC_VOLUNTEERING_ADDR HC_NOTIFICATIONS_ADDR
    HC_MEMBERSHIP_ADDR="$(sys_addr membership)" HC_EVENTS_ADDR="$(sys_addr events)"
    HC_VOLUNTEERING_ADDR="$(sys_addr volunteering)" HC_NOTIFICATIONS_ADDR="$(sys_addr notifications)"
    if [[ "${name}" == edge ]]; then
      # The browser's front door: the local profile serves the dev sign-in page; the edge
      # signs access tokens with the same local secret the services verify.
      export HC_EDGE_HTTP_ADDR="${HC_GRPC_ADDR}" HC_EDGE_PROFILE=local
      export HC_EDGE_WEB_DIR="${HC_REPO_ROOT}/web/dist" HC_EDGE_PUBLIC_URL="http://${HC_GRPC_ADDR}"
      export HC_EDGE_DEV_USERS_FILE="${SYS_STATE}/dev-users.json"
      export HC_JWT_SIGNING_KEY_FILE="${HC_JWT_KEY_FILE}"
    fi
    nohup "${binary}" >>"${SYS_STATE}/services/${name}.log" 2>&1 &
    echo $! >"${SYS_STATE}/services/${name}.pid"
  )
}

sys_healthy() {
  if [[ "$1" == edge ]]; then
    curl -fsS -m 2 "$(sys_edge_url)/healthz" >/dev/null 2>&1
  else
    grpcurl -plaintext -max-time 2 "$(sys_addr "$1")" grpc.health.v1.Health/Check 2>/dev/null |
      grep -q SERVING
  fi
}

# sys_wait NAME: waits for NAME to answer health checks, or dies showing its log.
sys_wait() {
  local name="$1" log="${SYS_STATE}/services/$1.log"
  if ! hc_wait_until 60 "${name} to answer health checks" sys_healthy "${name}"; then
    hc_tail "${log}" 30
    hc_die "${name} did not start; log: ${log}"
  fi
  hc_log "${name} serving on $(sys_addr "${name}")"
}

sys_start_services() {
  local name
  for name in "${SYS_SERVICES[@]}"; do sys_start "${name}"; done
  for name in "${SYS_SERVICES[@]}"; do sys_wait "${name}"; done
}

# sys_dev_users FILE_LINES...: writes the edge's dev sign-in list from "member_id label" lines
# on stdin (the local profile only; roles always come from membership).
sys_write_dev_users() {
  python3 -c '
import json, sys
users = []
for line in sys.stdin:
    member_id, _, label = line.strip().partition(" ")
    if member_id:
        users.append({"memberId": member_id, "label": label})
json.dump(users, open(sys.argv[1], "w"), indent=1)' "${SYS_STATE}/dev-users.json"
}

# sys_print_endpoints: where each part of a running system is reached, as run.sh and compose.sh
# print it (they add what differs: the logs, the keys). Uses the *_ADDR variables, EDGE_URL and
# the stack's HC_* URLs.
sys_print_endpoints() {
  cat <<ENDPOINTS
  web app           ${EDGE_URL}/   (sign in: ${EDGE_URL}/auth/dev lists the demo
                    members Ana and Eli and the coordinator Casey; or ask for an emailed
                    link on ${EDGE_URL}/sign-in and open it from Mailpit)
  edge metrics      http://127.0.0.1:17180/metrics
  membership gRPC   ${MEMBERSHIP_ADDR}   metrics http://127.0.0.1:17101/metrics
  events gRPC       ${EVENTS_ADDR}   metrics http://127.0.0.1:17102/metrics
  volunteering gRPC ${VOLUNTEERING_ADDR}   metrics http://127.0.0.1:17103/metrics
  notifications gRPC ${NOTIFICATIONS_ADDR}  metrics http://127.0.0.1:17104/metrics
                    (reflection on: grpcurl -plaintext ${MEMBERSHIP_ADDR} list)
  Prometheus        ${HC_PROMETHEUS_URL}
  Alertmanager      ${HC_ALERTMANAGER_URL}   (rules: deploy/prometheus/alerts.yml; alerts are
                    emailed to Mailpit; runbooks: docs/runbooks/)
  Mailpit (email)   ${HC_MAILPIT_URL}   (SMTP ${HC_SMTP_URL})
  SMS capture       ${HC_SMS_BASE_URL}/   (JSON: ${HC_SMS_BASE_URL}/messages)
  unsubscribe page  http://127.0.0.1:17084/unsubscribe (links in notifications' emails)
  PostgreSQL        ${HC_PG_URL_BASE}/{membership,events,volunteering,notifications,edge}
  Redis             ${HC_REDIS_ADDR}
  Kafka             ${HC_KAFKA_BROKERS}
ENDPOINTS
}

# sys_print_try_it KEY_FILE: gRPC calls to try on a running system with the demo data, tokens
# minted with the system's signing key KEY_FILE (run.sh and compose.sh print the same).
sys_print_try_it() {
  cat <<TRY
Try it:
  export HC_JWT_KEY_FILE=${1}
  TOKEN=\$(build/libs/auth/hc-token --sub demo-coordinator --roles coordinator)
  grpcurl -plaintext -H "authorization: Bearer \$TOKEN" -d '{"member_id": "${DEMO_ID}"}' \\
    ${MEMBERSHIP_ADDR} alumni.membership.v1.MembershipService/GetMember
  ME=\$(build/libs/auth/hc-token --sub ${DEMO_ID} --roles alumnus)
  grpcurl -plaintext -H "authorization: Bearer \$ME" -d '{"event_id": "${DEMO_EVENT}"}' \\
    ${EVENTS_ADDR} alumni.events.v1.EventsService/Rsvp
  grpcurl -plaintext -H "authorization: Bearer \$ME" -d '{"shift_id": "${DEMO_SHIFT}"}' \\
    ${VOLUNTEERING_ADDR} alumni.volunteering.v1.VolunteeringService/SignUp
  grpcurl -plaintext -H "authorization: Bearer \$ME" -d '{}' \\
    ${VOLUNTEERING_ADDR} alumni.volunteering.v1.VolunteeringService/ListRoles
  grpcurl -plaintext -H "authorization: Bearer \$TOKEN" -d '{"shift_id": "${DEMO_SHIFT}"}' \\
    ${VOLUNTEERING_ADDR} alumni.volunteering.v1.VolunteeringService/ListVolunteers
  grpcurl -plaintext -H "authorization: Bearer \$ME" -d '{}' \\
    ${NOTIFICATIONS_ADDR} alumni.notifications.v1.NotificationsService/ListInbox
  kcat -b ${HC_KAFKA_BROKERS} -t alumni.membership.v1 -C -e -f '%k %h\n'
TRY
}
