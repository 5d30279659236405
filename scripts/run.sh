#!/usr/bin/env bash
# The one run command: installs what is missing, builds, starts the local stack (PostgreSQL,
# Redis, Kafka, Prometheus, Mailpit, the SMS capture server) and the services on loopback, loads demo data, and prints where
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
UNSUBSCRIBE_KEY="${STATE}/unsubscribe-key.hex"
JWT_ISSUER="homecoming-local"
# name, gRPC port, metrics port (Prometheus scrapes 17101..17104, see stack.sh).
SERVICES=("membership 17001 17101" "events 17002 17102" "volunteering 17003 17103"
  "notifications 17004 17104")
MEMBERSHIP_ADDR="127.0.0.1:17001"
EVENTS_ADDR="127.0.0.1:17002"
VOLUNTEERING_ADDR="127.0.0.1:17003"
NOTIFICATIONS_ADDR="127.0.0.1:17004"

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
    for entry in "${SERVICES[@]}"; do
      read -r name _ _ <<<"${entry}"
      stop_service "${name}"
    done
    scripts/stack.sh down --profile dev
    exit 0
    ;;
  status)
    for entry in "${SERVICES[@]}"; do
      read -r name port _ <<<"${entry}"
      if pid="$(hc_pid_alive "${SERVICES_DIR}/${name}.pid" "${name}")"; then
        printf '%-12s running (pid %s) on 127.0.0.1:%s\n' "${name}" "${pid}" "${port}"
      else
        printf '%-12s stopped\n' "${name}"
      fi
    done
    exec scripts/stack.sh status --profile dev
    ;;
  start) ;;
  -h | --help)
    sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    exit 0
    ;;
  *) hc_die "usage: scripts/run.sh [start|stop|status]" ;;
esac

hc_steps 6
hc_step "installing dependencies (with grpcurl and ghz)"
scripts/install-deps.sh --tools
hc_step "building"
scripts/build.sh
hc_step "starting PostgreSQL, Redis, Kafka, Prometheus, Mailpit and the SMS capture"
scripts/stack.sh up --profile dev
set -a
# shellcheck disable=SC1091
. "${STATE}/stack.env"
set +a

hc_step "starting the services"
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
if [[ ! -s "${UNSUBSCRIBE_KEY}" ]]; then
  # Signs the unsubscribe links in notifications' emails.
  openssl rand -hex 32 >"${UNSUBSCRIBE_KEY}"
  chmod 600 "${UNSUBSCRIBE_KEY}"
fi
start_service() {
  local name="$1" port="$2" metrics="$3"
  stop_service "${name}"
  (
    export HC_GRPC_ADDR="127.0.0.1:${port}" HC_METRICS_ADDR="127.0.0.1:${metrics}"
    export HC_DATABASE_URL="${HC_PG_URL_BASE}/${name}" HC_REDIS_ADDR HC_KAFKA_BROKERS
    export HC_JWT_ALG=HS256 HC_JWT_ISSUER="${JWT_ISSUER}" HC_JWT_KEY_FILE="${JWT_KEY}"
    export HC_DATA_KEY_FILE="${DATA_KEY}"
    # notifications' email and SMS channels: Mailpit and the SMS capture server (stack.env).
    export HC_SMTP_URL HC_SMS_BASE_URL HC_SMS_ACCOUNT_ID HC_SMS_TOKEN_FILE HC_SMS_FROM=Homecoming
    export HC_UNSUBSCRIBE_KEY_FILE="${UNSUBSCRIBE_KEY}" HC_PUBLIC_BASE_URL="http://127.0.0.1:17084"
    # Where notifications (and events, volunteering) reach the other services, and the
    # unsubscribe page's listen address (the defaults, said out loud).
    export HC_MEMBERSHIP_ADDR="${MEMBERSHIP_ADDR}" HC_EVENTS_ADDR="${EVENTS_ADDR}"
    export HC_VOLUNTEERING_ADDR="${VOLUNTEERING_ADDR}" HC_HTTP_ADDRESS="127.0.0.1:17084"
    nohup "build/services/${name}/${name}" >>"${SERVICES_DIR}/${name}.log" 2>&1 &
    echo $! >"${SERVICES_DIR}/${name}.pid"
  )
}
healthy() {
  grpcurl -plaintext -max-time 2 "127.0.0.1:$1" grpc.health.v1.Health/Check 2>/dev/null |
    grep -q SERVING
}
for entry in "${SERVICES[@]}"; do
  read -r name port metrics <<<"${entry}"
  start_service "${name}" "${port}" "${metrics}"
done
for entry in "${SERVICES[@]}"; do
  read -r name port _ <<<"${entry}"
  if ! hc_wait_until 60 "${name} to answer health checks" healthy "${port}"; then
    hc_tail "${SERVICES_DIR}/${name}.log" 30
    hc_die "${name} did not start; log: ${SERVICES_DIR}/${name}.log"
  fi
  hc_log "${name} serving on 127.0.0.1:${port}"
done

hc_step "loading demo data"
token() {
  HC_JWT_KEY_FILE="${JWT_KEY}" HC_JWT_ISSUER="${JWT_ISSUER}" build/libs/auth/hc-token "$@"
}
COORDINATOR_TOKEN="$(token --sub demo-coordinator --roles coordinator)"
demo_member() {
  local first="$1" last="$2" email="$3" zone="$4" interests="$5" phone="${6:-}" out
  if out="$(grpcurl -plaintext -H "authorization: Bearer ${COORDINATOR_TOKEN}" -d @ \
      "${MEMBERSHIP_ADDR}" alumni.membership.v1.MembershipService/RegisterMember 2>&1 <<JSON
{"first_name": "${first}", "last_name": "${last}", "email": "${email}", "phone": "${phone}",
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
# The demo member with a phone (a 555 number), who will take texts.
SMS_ID_FILE="${STATE}/demo-sms-member-id"
id="$(demo_member Eli Romero eli@demo.homecoming.local America/New_York '["music"]' \
  +15555550123)"
[[ "${id}" == "(already registered)" ]] || echo "${id}" >"${SMS_ID_FILE}"
SMS_ID="$(cat "${SMS_ID_FILE}" 2>/dev/null || true)"

# Demo events, once per stack: next month's alumni meeting and a small sober social.
DEMO_EVENT_FILE="${STATE}/demo-event-id"
create_event() {
  grpcurl -plaintext -H "authorization: Bearer ${COORDINATOR_TOKEN}" -d @ \
    "${EVENTS_ADDR}" alumni.events.v1.EventsService/CreateEvent
}
if [[ ! -s "${DEMO_EVENT_FILE}" ]]; then
  first_meeting="$(date -u -d 'next month' +%Y-%m-05T00:30:00Z)"
  social="$(date -u -d '+10 days' +%Y-%m-%dT23:00:00Z)"
  social_end="$(date -u -d '+11 days' +%Y-%m-%dT01:00:00Z)"
  meeting_end="${first_meeting/T00:30/T02:00}"
  create_event >/dev/null <<JSON || hc_die "demo data: could not create the alumni meeting"
{"event": {"title": "Monthly alumni meeting", "kind": "EVENT_KIND_ALUMNI_MEETING",
  "start_time": "${first_meeting}", "end_time": "${meeting_end}",
  "time_zone": "America/Chicago", "venue": "Community room", "capacity": 40,
  "waitlist_enabled": true, "visibility": "VISIBILITY_MEMBERS"}}
JSON
  out="$(create_event <<JSON
{"event": {"title": "Sober bowling night", "kind": "EVENT_KIND_SOBER_SOCIAL",
  "start_time": "${social}", "end_time": "${social_end}", "time_zone": "America/Chicago",
  "venue": "Lucky Lanes", "capacity": 5, "waitlist_enabled": true,
  "visibility": "VISIBILITY_MEMBERS"}}
JSON
  )" || hc_die "demo data: could not create the social"
  sed -n 's/.*"event_id": "\([^"]*\)".*/\1/p' <<<"${out}" | head -n1 >"${DEMO_EVENT_FILE}"
fi
DEMO_EVENT="$(cat "${DEMO_EVENT_FILE}")"

# A demo volunteer role with two shifts, once per stack.
DEMO_SHIFT_FILE="${STATE}/demo-shift-id"
volunteering() {
  grpcurl -plaintext -H "authorization: Bearer ${COORDINATOR_TOKEN}" -d @ \
    "${VOLUNTEERING_ADDR}" "alumni.volunteering.v1.VolunteeringService/$1"
}
if [[ ! -s "${DEMO_SHIFT_FILE}" ]]; then
  out="$(volunteering PostRole <<JSON
{"role": {"title": "Welcome table at the alumni meeting", "tags": ["peer-support"],
  "venue": "Community room", "event_id": "${DEMO_EVENT}", "max_shifts_per_person": 2}}
JSON
  )" || hc_die "demo data: could not post the volunteer role"
  role_id="$(sed -n 's/.*"role_id": "\([^"]*\)".*/\1/p' <<<"${out}" | head -n1)"
  for days in 9 16; do
    start="$(date -u -d "+${days} days" +%Y-%m-%dT22:00:00Z)"
    end="$(date -u -d "+${days} days" +%Y-%m-%dT23:30:00Z)"
    out="$(volunteering AddShift <<JSON
{"role_id": "${role_id}", "start_time": "${start}", "end_time": "${end}",
 "time_zone": "America/Chicago", "slots": 3}
JSON
    )" || hc_die "demo data: could not add a shift"
  done
  sed -n 's/.*"shift_id": "\([^"]*\)".*/\1/p' <<<"${out}" | head -n1 >"${DEMO_SHIFT_FILE}"
  # A role that needs a coordinator's approval and 90 days of sober time, online.
  out="$(volunteering PostRole <<JSON
{"role": {"title": "Peer greeter for newcomer night", "tags": ["peer-support"],
  "online_url": "https://meet.demo.homecoming.local/newcomers", "min_sober_days": 90,
  "requires_approval": true, "max_shifts_per_person": 1}}
JSON
  )" || hc_die "demo data: could not post the approval role"
  role_id="$(sed -n 's/.*"role_id": "\([^"]*\)".*/\1/p' <<<"${out}" | head -n1)"
  start="$(date -u -d "+12 days" +%Y-%m-%dT01:00:00Z)"
  end="$(date -u -d "+12 days" +%Y-%m-%dT02:30:00Z)"
  volunteering AddShift >/dev/null <<JSON || hc_die "demo data: could not add a shift"
{"role_id": "${role_id}", "start_time": "${start}", "end_time": "${end}",
 "time_zone": "America/New_York", "slots": 2}
JSON
fi
DEMO_SHIFT="$(cat "${DEMO_SHIFT_FILE}")"

# Notifications a person can see: Ana grants email consent, Eli grants email and SMS consent
# and chooses SMS for events; then both RSVP to the social, and notifications sends each an
# email (Mailpit) and Eli a text (the SMS capture page). Consent reaches notifications as a
# fact, and it is checked at send time, so the RSVPs wait until notifications has it.
member_call() {
  local who="$1" service="$2" method="$3"
  grpcurl -plaintext -H "authorization: Bearer $(token --sub "${who}" --roles alumnus)" -d @ \
    "${service}" "${method}"
}
grant() {
  member_call "$1" "${MEMBERSHIP_ADDR}" alumni.membership.v1.MembershipService/UpdateConsent \
    >/dev/null <<JSON || hc_die "demo data: could not grant $2 consent"
{"member_id": "$1", "channel": "CONTACT_CHANNEL_$2", "granted": true}
JSON
}
consents_arrived() {
  [[ "$(psql "${HC_PG_URL_BASE}/notifications" -tAqc "SELECT count(*) FROM consents
      WHERE granted AND ((member_id = '${DEMO_ID}' AND channel = 'email')
        OR (member_id = '${SMS_ID}' AND channel IN ('email', 'sms')))" 2>/dev/null)" == 3 ]]
}
DEMO_RSVP_FILE="${STATE}/demo-rsvps-done"
if [[ -n "${DEMO_ID}" && -n "${SMS_ID}" && ! -e "${DEMO_RSVP_FILE}" ]]; then
  grant "${DEMO_ID}" EMAIL
  grant "${SMS_ID}" EMAIL
  grant "${SMS_ID}" SMS
  # The mask as an object: grpcurl (its dynamic messages) refuses FieldMask's "a,b" string form.
  member_call "${SMS_ID}" "${NOTIFICATIONS_ADDR}" \
    alumni.notifications.v1.NotificationsService/UpdatePreferences >/dev/null <<JSON ||
{"preferences": {"time_zone": "America/New_York",
  "events": {"email": true, "sms": true, "in_app": true}},
 "update_mask": {"paths": ["time_zone", "events"]}}
JSON
    hc_die "demo data: could not choose SMS for Eli"
  hc_wait_until 60 "notifications to learn the demo consents" consents_arrived ||
    hc_die "demo data: notifications did not receive the consents (${SERVICES_DIR}/notifications.log)"
  for who in "${DEMO_ID}" "${SMS_ID}"; do
    member_call "${who}" "${EVENTS_ADDR}" alumni.events.v1.EventsService/Rsvp >/dev/null <<JSON ||
{"event_id": "${DEMO_EVENT}"}
JSON
      hc_die "demo data: could not RSVP"
  done
  touch "${DEMO_RSVP_FILE}"
  # What the summary below promises, seen where a person would look: both emails in Mailpit's
  # API and Eli's text on the capture server.
  demo_sent() {
    curl -fsS "${HC_MAILPIT_URL}/api/v1/messages" | python3 -c '
import json, sys
to = {a["Address"] for m in json.load(sys.stdin)["messages"] for a in m["To"]}
sys.exit(not {"ana@demo.homecoming.local", "eli@demo.homecoming.local"} <= to)' &&
      curl -fsS "${HC_SMS_BASE_URL}/messages" | grep -q '+15555550123'
  }
  hc_wait_until 60 "the demo emails and text" demo_sent ||
    hc_warn "the demo notifications have not arrived yet; see ${SERVICES_DIR}/notifications.log"
fi

hc_step "ready"
cat <<INFO

Homecoming is running (all on 127.0.0.1):
  membership gRPC   ${MEMBERSHIP_ADDR}   metrics http://127.0.0.1:17101/metrics
  events gRPC       ${EVENTS_ADDR}   metrics http://127.0.0.1:17102/metrics
  volunteering gRPC ${VOLUNTEERING_ADDR}   metrics http://127.0.0.1:17103/metrics
  notifications gRPC ${NOTIFICATIONS_ADDR}  metrics http://127.0.0.1:17104/metrics
                    (reflection on: grpcurl -plaintext ${MEMBERSHIP_ADDR} list)
  Prometheus        ${HC_PROMETHEUS_URL}
  Mailpit (email)   ${HC_MAILPIT_URL}   (SMTP ${HC_SMTP_URL})
  SMS capture       ${HC_SMS_BASE_URL}/   (JSON: ${HC_SMS_BASE_URL}/messages)
  unsubscribe page  http://127.0.0.1:17084/unsubscribe (links in notifications' emails)
  PostgreSQL        ${HC_PG_URL_BASE}/{membership,events,volunteering,notifications}
  Redis             ${HC_REDIS_ADDR}
  Kafka             ${HC_KAFKA_BROKERS}
  service logs      ${SERVICES_DIR}/

What notifications did with the demo data (within seconds of the RSVPs):
  Open ${HC_MAILPIT_URL} : two "Your plans on <date>" emails (the social's RSVP confirmed),
    to ana@ and eli@demo.homecoming.local; each one's List-Unsubscribe header (Mailpit:
    Headers) is a signed link to the unsubscribe page above.
  Open ${HC_SMS_BASE_URL}/ : "...you're confirmed for <when>." texted to Eli (+15555550123),
    the one who granted SMS consent and chose SMS for events.
  Both also have it in their in-app inbox (ListInbox below, as Ana).

Try it:
  export HC_JWT_KEY_FILE=${JWT_KEY}
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

Stop everything with: scripts/run.sh stop
INFO
