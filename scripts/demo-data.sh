# The local system's demo data, loaded once per stack by scripts/run.sh (sourced; it sets
# DEMO_ID, SMS_ID, COORDINATOR_ID, DEMO_EVENT and DEMO_SHIFT, and writes the edge's dev sign-in
# list). Needs scripts/services.sh's functions and MEMBERSHIP_ADDR, EVENTS_ADDR,
# VOLUNTEERING_ADDR, NOTIFICATIONS_ADDR.
COORDINATOR_TOKEN="$(sys_token --sub demo-coordinator --roles coordinator)"
ADMIN_TOKEN="$(sys_token --sub demo-admin --roles admin)"
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
DEMO_ID_FILE="${SYS_STATE}/demo-member-id"
id="$(demo_member Ana Martinez ana@demo.homecoming.local America/Chicago '["hiking","art"]')"
[[ "${id}" == "(already registered)" ]] || echo "${id}" >"${DEMO_ID_FILE}"
DEMO_ID="$(cat "${DEMO_ID_FILE}" 2>/dev/null || true)"
demo_member Ben Okafor ben@demo.homecoming.local America/New_York '["music"]' >/dev/null
demo_member Chloe Nguyen chloe@demo.homecoming.local America/Los_Angeles '["yoga","cooking"]' >/dev/null
demo_member Dev Patel dev@demo.homecoming.local Europe/Dublin '["running"]' >/dev/null
# The demo member with a phone (a 555 number), who will take texts.
SMS_ID_FILE="${SYS_STATE}/demo-sms-member-id"
id="$(demo_member Eli Romero eli@demo.homecoming.local America/New_York '["music"]' \
  +15555550123)"
[[ "${id}" == "(already registered)" ]] || echo "${id}" >"${SMS_ID_FILE}"
SMS_ID="$(cat "${SMS_ID_FILE}" 2>/dev/null || true)"

# A coordinator who is a member (so the web app's dev sign-in can act as one): registered as
# any alumna, then given the coordinator role by an admin.
COORDINATOR_ID_FILE="${SYS_STATE}/demo-coordinator-id"
id="$(demo_member Casey Reed casey@demo.homecoming.local America/Chicago '["peer-support"]')"
if [[ "${id}" != "(already registered)" ]]; then
  grpcurl -plaintext -H "authorization: Bearer ${ADMIN_TOKEN}" \
    -d "{\"member_id\": \"${id}\", \"role\": \"ROLE_COORDINATOR\"}" "${MEMBERSHIP_ADDR}" \
    alumni.membership.v1.MembershipService/AssignRole >/dev/null ||
    hc_die "demo data: could not make Casey a coordinator"
  echo "${id}" >"${COORDINATOR_ID_FILE}"
fi
COORDINATOR_ID="$(cat "${COORDINATOR_ID_FILE}" 2>/dev/null || true)"
sys_write_dev_users <<USERS
${DEMO_ID} Ana M. — alumna
${SMS_ID} Eli R. — alumnus
${COORDINATOR_ID} Casey R. — coordinator
USERS

# Demo events, once per stack: next month's alumni meeting and a small sober social.
DEMO_EVENT_FILE="${SYS_STATE}/demo-event-id"
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
DEMO_SHIFT_FILE="${SYS_STATE}/demo-shift-id"
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
  grpcurl -plaintext -H "authorization: Bearer $(sys_token --sub "${who}" --roles alumnus)" -d @ \
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
DEMO_RSVP_FILE="${SYS_STATE}/demo-rsvps-done"
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
    hc_die "demo data: notifications did not receive the consents (${SYS_STATE}/services/notifications.log)"
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
    hc_warn "the demo notifications have not arrived yet; see ${SYS_STATE}/services/notifications.log"
fi

