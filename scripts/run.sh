#!/usr/bin/env bash
# The one run command: installs what is missing, builds, starts the local stack (PostgreSQL,
# Redis, Kafka, Prometheus) and the services on loopback, loads demo data, and prints where
# everything listens. Safe to run again (it restarts the services on the new build).
#
#   scripts/run.sh          start (or restart) everything
#   scripts/run.sh stop     stop the services and the stack
#   scripts/run.sh status   what runs
#
# Environment: HC_HOME (default /var/tmp/homecoming).
set -euo pipefail
HC_LOG_TAG="run"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${HC_REPO_ROOT}"

STATE="${HC_HOME}/dev"
SERVICES_DIR="${STATE}/services"
JWT_KEY="${STATE}/jwt-hs256.key"
DATA_KEY="${STATE}/data-key.hex"
JWT_ISSUER="homecoming-local"
MEMBERSHIP_ADDR="127.0.0.1:17001"
MEMBERSHIP_METRICS="127.0.0.1:17101"

stop_service() {
  local name="$1" pid
  if pid="$(hc_pid_alive "${SERVICES_DIR}/${name}.pid" "${name}")"; then
    hc_log "stopping ${name} (pid ${pid})"
    hc_stop_pid "${pid}" "${name}" 30
  fi
  rm -f "${SERVICES_DIR}/${name}.pid"
}

case "${1:-start}" in
  stop)
    stop_service membership
    scripts/stack.sh down --profile dev
    exit 0
    ;;
  status)
    if pid="$(hc_pid_alive "${SERVICES_DIR}/membership.pid" membership)"; then
      echo "membership  running (pid ${pid}) on ${MEMBERSHIP_ADDR}"
    else
      echo "membership  stopped"
    fi
    exec scripts/stack.sh status --profile dev
    ;;
  start) ;;
  *) hc_die "usage: scripts/run.sh [start|stop|status]" ;;
esac

hc_steps 6
hc_step "installing dependencies (with grpcurl and ghz)"
scripts/install-deps.sh --tools
hc_step "building"
scripts/build.sh
hc_step "starting PostgreSQL, Redis, Kafka and Prometheus"
scripts/stack.sh up --profile dev
set -a
# shellcheck disable=SC1091
. "${STATE}/stack.env"
set +a

hc_step "starting membership"
mkdir -p "${SERVICES_DIR}"
if [[ ! -s "${JWT_KEY}" ]]; then
  # A random local signing secret; tokens for this stack are minted with it.
  head -c 48 /dev/urandom | base64 -w0 >"${JWT_KEY}"
  chmod 600 "${JWT_KEY}"
fi
if [[ ! -s "${DATA_KEY}" ]]; then
  # The master key sealing personal data at rest; losing it loses that data.
  openssl rand -hex 32 >"${DATA_KEY}"
  chmod 600 "${DATA_KEY}"
fi
stop_service membership
(
  export HC_GRPC_ADDR="${MEMBERSHIP_ADDR}" HC_METRICS_ADDR="${MEMBERSHIP_METRICS}"
  export HC_DATABASE_URL="${HC_PG_URL_BASE}/membership" HC_REDIS_ADDR HC_KAFKA_BROKERS
  export HC_JWT_ALG=HS256 HC_JWT_ISSUER="${JWT_ISSUER}" HC_JWT_KEY_FILE="${JWT_KEY}"
  export HC_DATA_KEY_FILE="${DATA_KEY}"
  nohup build/services/membership/membership >>"${SERVICES_DIR}/membership.log" 2>&1 &
  echo $! >"${SERVICES_DIR}/membership.pid"
)
health() {
  grpcurl -plaintext -max-time 2 "${MEMBERSHIP_ADDR}" grpc.health.v1.Health/Check 2>/dev/null |
    grep -q SERVING
}
if ! hc_wait_until 60 "membership to answer health checks" health; then
  hc_tail "${SERVICES_DIR}/membership.log" 30
  hc_die "membership did not start; log: ${SERVICES_DIR}/membership.log"
fi

hc_step "loading demo data"
token() {
  HC_JWT_KEY_FILE="${JWT_KEY}" HC_JWT_ISSUER="${JWT_ISSUER}" build/libs/auth/hc-token "$@"
}
COORDINATOR_TOKEN="$(token --sub demo-coordinator --roles coordinator)"
demo_member() {
  local first="$1" last="$2" email="$3" zone="$4" interests="$5" out
  if out="$(grpcurl -plaintext -H "authorization: Bearer ${COORDINATOR_TOKEN}" -d @ \
      "${MEMBERSHIP_ADDR}" alumni.membership.v1.MembershipService/RegisterMember 2>&1 <<JSON
{"first_name": "${first}", "last_name": "${last}", "email": "${email}",
 "program": "PROGRAM_IOP", "time_zone": "${zone}", "interests": ${interests}}
JSON
  )"; then
    sed -n 's/.*"member_id": "\([^"]*\)".*/\1/p' <<<"${out}" | head -n1
  elif grep -q AlreadyExists <<<"${out}"; then
    echo "(already registered)"
  else
    hc_die "demo data: ${out}"
  fi
}
DEMO_ID_FILE="${STATE}/demo-member-id"
id="$(demo_member Ana Martinez ana@demo.homecoming.local America/Chicago '["hiking","art"]')"
[[ "${id}" == "(already registered)" ]] || echo "${id}" >"${DEMO_ID_FILE}"
DEMO_ID="$(cat "${DEMO_ID_FILE}" 2>/dev/null || true)"
demo_member Ben Okafor ben@demo.homecoming.local America/New_York '["music"]' >/dev/null
demo_member Chloe Nguyen chloe@demo.homecoming.local America/Los_Angeles '["yoga","cooking"]' >/dev/null
demo_member Dev Patel dev@demo.homecoming.local Europe/Dublin '["running"]' >/dev/null

hc_step "ready"
cat <<INFO

Homecoming is running (all on 127.0.0.1):
  membership gRPC   ${MEMBERSHIP_ADDR}      (reflection on: grpcurl -plaintext ${MEMBERSHIP_ADDR} list)
  membership metrics http://${MEMBERSHIP_METRICS}/metrics
  Prometheus        ${HC_PROMETHEUS_URL}
  PostgreSQL        ${HC_PG_URL_BASE}/membership
  Redis             ${HC_REDIS_ADDR}
  Kafka             ${HC_KAFKA_BROKERS}
  service logs      ${SERVICES_DIR}/

Try it:
  export HC_JWT_KEY_FILE=${JWT_KEY}
  TOKEN=\$(build/libs/auth/hc-token --sub demo-coordinator --roles coordinator)
  grpcurl -plaintext -H "authorization: Bearer \$TOKEN" -d '{"member_id": "${DEMO_ID}"}' \\
    ${MEMBERSHIP_ADDR} alumni.membership.v1.MembershipService/GetMember
  kcat -b ${HC_KAFKA_BROKERS} -t alumni.membership.v1 -C -e -f '%k %h\n'

Stop everything with: scripts/run.sh stop
INFO
