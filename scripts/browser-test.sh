#!/usr/bin/env bash
# The browser tests: the whole system (the four services and the edge serving web/dist) on the
# test stack, seeded with four members, and Playwright driving Debian's Chromium through the
# web app (web/e2e/). scripts/test.sh runs it after the unit and integration tests; by hand:
#
#   scripts/stack.sh up --profile test && scripts/browser-test.sh [playwright arguments...]
#
# Needs a build (scripts/build.sh). Fresh databases (e2e_*) and empty topics every run (it
# resets the test stack's topics: don't run it beside integration tests); screenshots and the
# measured first-load size go to $HC_HOME/test/e2e/screenshots.
# Environment: HC_HOME (default /var/tmp/homecoming), HC_KEEP_SYSTEM=1 leaves the system running.
set -euo pipefail
HC_LOG_TAG="browser-test"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${HC_REPO_ROOT}"
# shellcheck source=scripts/services.sh
source scripts/services.sh

SYS_STATE="${HC_HOME}/test/e2e"
SYS_PORT_BASE=27000
SYS_DB_PREFIX="e2e_"

[[ -s "${HC_HOME}/test/stack.env" ]] || hc_die "the test stack is not up (scripts/stack.sh up --profile test)"
set -a
# shellcheck disable=SC1091
. "${HC_HOME}/test/stack.env"
set +a
hc_need grpcurl curl python3 node
[[ -f web/dist/index.html ]] || hc_die "web/dist is not built (scripts/build.sh)"

hc_steps 4
hc_step "starting the services and the edge on 127.0.0.1:$((SYS_PORT_BASE + 1))..$((SYS_PORT_BASE + 80))"
sys_stop_all
# Earlier tests leave facts (some deliberately malformed) on the shared topics; a system that
# started by consuming them would be busy for minutes before it saw this run's own.
scripts/stack.sh reset-topics --profile test
rm -rf "${SYS_STATE}"
sys_make_keys
for name in "${SYS_SERVICES[@]}" edge; do
  db="${SYS_DB_PREFIX}${name}"
  psql -X -q -v ON_ERROR_STOP=1 "${HC_PG_URL_BASE}/postgres" \
    -c "DROP DATABASE IF EXISTS \"${db}\" WITH (FORCE)" -c "CREATE DATABASE \"${db}\"" >/dev/null
done
stop_system() {
  if [[ "${HC_KEEP_SYSTEM:-0}" != 1 ]]; then sys_stop_all; fi
}
trap stop_system EXIT
sys_start_services

hc_step "seeding the test members"
ADMIN_TOKEN="$(sys_token --sub e2e-admin --roles admin)"
membership() {
  grpcurl -plaintext -H "authorization: Bearer ${ADMIN_TOKEN}" -d @ "$(sys_addr membership)" \
    "alumni.membership.v1.MembershipService/$1"
}
# register KEY FIRST LAST [EXTRA]: registers a member and prints "KEY id email displayName";
# EXTRA is more JSON fields for RegisterMember (', "sobriety_date": {...}').
register() {
  local key="$1" first="$2" last="$3" extra="${4:-}" email out id
  email="${key}@e2e.homecoming.local"
  out="$(membership RegisterMember <<JSON
{"first_name": "${first}", "last_name": "${last}", "email": "${email}",
 "program": "PROGRAM_IOP", "time_zone": "America/Chicago", "interests": ["hiking"]${extra}}
JSON
  )" || hc_die "could not register ${key}: ${out}"
  id="$(sed -n 's/.*"member_id": "\([^"]*\)".*/\1/p' <<<"${out}" | head -n1)"
  [[ -n "${id}" ]] || hc_die "no member id for ${key}: ${out}"
  echo "${key} ${id} ${email} ${first} ${last:0:1}."
}
members="$(
  register alumna Ana Martinez
  register alumna2 Bea Lopez
  register alumnus Cal Brooks
  register coordinator Dana Reed
  # A peer mentor must be sober for a year (membership's CheckEligibility at 365 days).
  register mentor Eli Grant ', "sobriety_date": {"year": 2019, "month": 3, "day": 14}'
)"
coordinator_id="$(awk '$1 == "coordinator" {print $2}' <<<"${members}")"
membership AssignRole >/dev/null <<JSON || hc_die "could not make the coordinator one"
{"member_id": "${coordinator_id}", "role": "ROLE_COORDINATOR"}
JSON
mentor_id="$(awk '$1 == "mentor" {print $2}' <<<"${members}")"
membership AssignRole >/dev/null <<JSON || hc_die "could not make the mentor a peer mentor"
{"member_id": "${mentor_id}", "role": "ROLE_PEER_MENTOR"}
JSON
awk '{print $2, $4, $5, "—", $1}' <<<"${members}" | sys_write_dev_users
mkdir -p "${SYS_STATE}/screenshots"
export HC_E2E_FIXTURES="${SYS_STATE}/fixtures.json"
MEMBERS="${members}" python3 - "${HC_E2E_FIXTURES}" "${SYS_STATE}/screenshots" <<'PY'
import json, os, sys
members = {}
for line in os.environ["MEMBERS"].splitlines():
    key, member_id, email, first, initial = line.split()
    members[key] = {"id": member_id, "email": email, "displayName": f"{first} {initial}"}
json.dump({"members": members, "screenshotsDir": sys.argv[2]}, open(sys.argv[1], "w"), indent=1)
PY

hc_step "starting the edge"
sys_start edge
sys_wait edge

hc_step "running the browser tests (Playwright, Chromium)"
export HC_E2E_BASE_URL HC_E2E_MAILPIT_URL="${HC_MAILPIT_URL}"
HC_E2E_BASE_URL="$(sys_edge_url)"
# Earlier tests' emails would only get in the way of finding this run's sign-in link.
curl -fsS -X DELETE "${HC_MAILPIT_URL}/api/v1/messages" >/dev/null
(cd web && npx playwright test "$@") || {
  hc_tail "${SYS_STATE}/services/edge.log" 40
  hc_die "browser tests failed (logs: ${SYS_STATE}/services/, screenshots: ${SYS_STATE}/screenshots)"
}
hc_log "browser tests passed; screenshots in ${SYS_STATE}/screenshots"
