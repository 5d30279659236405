# shellcheck shell=bash
# Sourced by scripts/stack.sh: the local servers of notifications' email and SMS channels.
#
#   Mailpit       catches every email (SMTP) and shows it in a web UI with an HTTP API
#   sms-capture   scripts/sms-capture.py, a stand-in for an SMS provider's Messages.json API
#
#   profile  SMTP   Mailpit UI/API  SMS capture
#   dev      11025  18025           18026
#   test     21025  28025           28026
#
# Mailpit refuses (550) recipients under the reserved .invalid TLD, as a real server refuses
# a mailbox that does not exist; everything else is accepted and kept (last 500 messages).
# Both keep their state in "$HC_HOME/<profile>/{mailpit,sms}/". Needs STATE, PROFILE, HOST.

case "${PROFILE}" in
  dev)  SMTP_PORT=11025 MAILPIT_PORT=18025 SMS_PORT=18026 ;;
  test) SMTP_PORT=21025 MAILPIT_PORT=28025 SMS_PORT=28026 ;;
esac
MAILPIT_DIR="${STATE}/mailpit"
MAILPIT_PID="${MAILPIT_DIR}/mailpit.pid"
MAILPIT_LOG="${MAILPIT_DIR}/mailpit.log"
# Go's regexp has no negative look-ahead: "does not end in .invalid", spelled out.
MAILPIT_ALLOWED='^(.*[^d]|.*[^i]d|.*[^l]id|.*[^a]lid|.*[^v]alid|.*[^n]valid|.*[^i]nvalid|.*[^.]invalid)$'
SMS_DIR="${STATE}/sms"
SMS_PID="${SMS_DIR}/sms-capture.pid"
SMS_LOG="${SMS_DIR}/sms-capture.log"
SMS_MESSAGES="${SMS_DIR}/messages.jsonl"
SMS_TOKEN_FILE="${SMS_DIR}/token"
SMS_ACCOUNT_ID="AC0000homecoming0local0${PROFILE}"

mailpit_pid() { hc_pid_alive "${MAILPIT_PID}" "--smtp ${HOST}:${SMTP_PORT}"; }
mailpit_ready() { curl -fsS -m 2 "http://${HOST}:${MAILPIT_PORT}/readyz" >/dev/null 2>&1; }
sms_pid() { hc_pid_alive "${SMS_PID}" "--port ${SMS_PORT}"; }
sms_ready() { curl -fsS -m 2 "http://${HOST}:${SMS_PORT}/messages" >/dev/null 2>&1; }

mailpit_up() {
  hc_need mailpit curl
  mkdir -p "${MAILPIT_DIR}"
  local pid
  if pid="$(mailpit_pid)"; then
    hc_log "mailpit: already running (pid ${pid}), reusing"
  else
    ensure_free mailpit "${SMTP_PORT}" "${MAILPIT_PORT}"
    hc_log "mailpit: starting (SMTP ${HOST}:${SMTP_PORT}, UI http://${HOST}:${MAILPIT_PORT})"
    (
      cd "${MAILPIT_DIR}"
      exec setsid nohup mailpit --smtp "${HOST}:${SMTP_PORT}" --listen "${HOST}:${MAILPIT_PORT}" \
        --database "${MAILPIT_DIR}/mailpit.db" --smtp-disable-rdns --disable-version-check \
        --smtp-allowed-recipients "${MAILPIT_ALLOWED}"
    ) </dev/null >>"${MAILPIT_LOG}" 2>&1 9>&- &
    pid=$!
    printf '%s\n' "${pid}" >"${MAILPIT_PID}"
  fi
  hc_wait_until 30 "mailpit /readyz" mailpit_ready \
    || { hc_tail "${MAILPIT_LOG}"; hc_die "mailpit: not ready (log: ${MAILPIT_LOG})"; }
  hc_log "mailpit: ready (pid ${pid})"
}

sms_up() {
  hc_need python3 curl
  mkdir -p "${SMS_DIR}"
  chmod 700 "${SMS_DIR}"
  if [[ ! -s "${SMS_TOKEN_FILE}" ]]; then
    # The capture server's API token; notifications reads the same file (HC_SMS_TOKEN_FILE).
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"${SMS_TOKEN_FILE}"
    chmod 600 "${SMS_TOKEN_FILE}"
  fi
  local pid
  if pid="$(sms_pid)"; then
    hc_log "sms-capture: already running (pid ${pid}), reusing"
  else
    ensure_free sms-capture "${SMS_PORT}"
    hc_log "sms-capture: starting on http://${HOST}:${SMS_PORT}"
    (
      cd "${SMS_DIR}"
      exec setsid nohup python3 "${HC_REPO_ROOT}/scripts/sms-capture.py" --host "${HOST}" \
        --port "${SMS_PORT}" --account-id "${SMS_ACCOUNT_ID}" --token-file "${SMS_TOKEN_FILE}" \
        --log "${SMS_MESSAGES}"
    ) </dev/null >>"${SMS_LOG}" 2>&1 9>&- &
    pid=$!
    printf '%s\n' "${pid}" >"${SMS_PID}"
  fi
  hc_wait_until 20 "sms-capture /messages" sms_ready \
    || { hc_tail "${SMS_LOG}"; hc_die "sms-capture: not ready (log: ${SMS_LOG})"; }
  hc_log "sms-capture: ready (pid ${pid})"
}

channels_up() {
  mailpit_up
  sms_up
}

channels_down() {
  hc_stop_daemon sms-capture sms_pid "${SMS_PID}" 10
  hc_stop_daemon mailpit mailpit_pid "${MAILPIT_PID}" 20
}

# Lines for stack.env.
channels_env() {
  echo "HC_SMTP_URL=smtp://${HOST}:${SMTP_PORT}"
  echo "HC_MAILPIT_URL=http://${HOST}:${MAILPIT_PORT}"
  echo "HC_SMS_BASE_URL=http://${HOST}:${SMS_PORT}"
  echo "HC_SMS_ACCOUNT_ID=${SMS_ACCOUNT_ID}"
  echo "HC_SMS_TOKEN_FILE=${SMS_TOKEN_FILE}"
}

# Lines for `up`'s summary.
channels_summary() {
  echo "  Mailpit     SMTP ${HOST}:${SMTP_PORT}, UI http://${HOST}:${MAILPIT_PORT}    log ${MAILPIT_LOG}"
  echo "  SMS capture http://${HOST}:${SMS_PORT}    log ${SMS_LOG}"
}

# Adds to do_status's ok/bad counts (dynamic scope) through its `line` function.
channels_status() {
  local pid
  if pid="$(mailpit_pid)" && mailpit_ready; then
    line mailpit running "pid ${pid}" "smtp://${HOST}:${SMTP_PORT} http://${HOST}:${MAILPIT_PORT}"
    ok=$((ok + 1))
  else
    line mailpit stopped "" "smtp://${HOST}:${SMTP_PORT} http://${HOST}:${MAILPIT_PORT}"
    bad=$((bad + 1))
  fi
  if pid="$(sms_pid)" && sms_ready; then
    line sms-capture running "pid ${pid}" "http://${HOST}:${SMS_PORT}"; ok=$((ok + 1))
  else
    line sms-capture stopped "" "http://${HOST}:${SMS_PORT}"; bad=$((bad + 1))
  fi
}
