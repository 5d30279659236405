#!/usr/bin/env bash
# Local Homecoming stack: PostgreSQL 15, Redis, Kafka (KRaft), Mailpit and an SMS capture
# server (scripts/stack-channels.sh) and, for dev, Prometheus, as plain processes on 127.0.0.1. State lives in "$HC_HOME/<profile>/" (not in the repo).
#
#   scripts/stack.sh up|down|status|reset-topics [--profile dev|test]
#
#   profile  postgres  redis  kafka (controller)  prometheus
#   dev      15432     16379  19092 (19093)       19090
#   test     25432     26379  29092 (29093)       -
#
# Kafka also listens with mTLS on 19094 (dev) / 29094 (test): a CA, a broker certificate and a
# client certificate are made once in "$HC_HOME/<profile>/kafka/tls" and named in stack.env
# (HC_KAFKA_SSL_BROKERS, HC_KAFKA_SSL_CA_FILE, HC_KAFKA_SSL_CERT_FILE, HC_KAFKA_SSL_KEY_FILE).
#
#   profile  SMTP (Mailpit)  Mailpit UI/API  SMS capture
#   dev      11025           18025           18026
#   test     21025           28025           28026
#
#   dev also runs Alertmanager on 19095: Prometheus loads deploy/prometheus/alerts.yml and sends
#   what fires there, and Alertmanager emails it to Mailpit (see it in Mailpit's UI).
#
# `up` is idempotent (reuses what already runs) and writes "$HC_HOME/<profile>/stack.env"
# (HC_PG_URL_BASE, HC_REDIS_ADDR, HC_KAFKA_BROKERS, HC_SMTP_URL, HC_MAILPIT_URL,
# HC_SMS_BASE_URL, ...); load it with
#   set -a; . "$HC_HOME/test/stack.env"; set +a
# `down` stops the profile's processes; `status` exits 0 only when everything runs;
# `reset-topics` deletes Homecoming's topics (and what they hold) and creates them empty, so a
# freshly started system does not first work through facts that earlier tests left behind.
#
# Environment: HC_HOME (default /var/tmp/homecoming), HC_PROFILE (default dev).
# Needs root (PostgreSQL runs as the `postgres` user). Run scripts/install-deps.sh first.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Prints the header comment above (up to the first non-comment line).
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

ACTION=""
PROFILE="${HC_PROFILE:-dev}"
while (($#)); do
  case "$1" in
    up|down|status|reset-topics) ACTION="$1" ;;
    --profile) [[ $# -ge 2 ]] || hc_die "--profile needs a value"; PROFILE="$2"; shift ;;
    --profile=*) PROFILE="${1#--profile=}" ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; hc_die "unknown argument '$1'" ;;
  esac
  shift
done
[[ -n "${ACTION}" ]] || { usage >&2; exit 2; }

HOST=127.0.0.1
case "${PROFILE}" in
  dev)  PG_PORT=15432 REDIS_PORT=16379 KAFKA_PORT=19092 KAFKA_CTRL_PORT=19093 PROM_PORT=19090 ;;
  test) PG_PORT=25432 REDIS_PORT=26379 KAFKA_PORT=29092 KAFKA_CTRL_PORT=29093 PROM_PORT="" ;;
  *) hc_die "unknown profile '${PROFILE}' (dev|test)" ;;
esac
# Alertmanager runs beside Prometheus (dev only). 19093 is Kafka's controller and 19094 its SSL
# listener, hence 19095.
AM_PORT=""
if [[ -n "${PROM_PORT}" ]]; then AM_PORT=19095; fi
HC_LOG_TAG="stack:${PROFILE}"
[[ "${HC_HOME}" != *[[:space:]]* ]] || hc_die "HC_HOME must not contain whitespace"

STATE="${HC_HOME}/${PROFILE}"
ENV_FILE="${STATE}/stack.env"

PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR="${STATE}/postgres"
PG_DATA="${PG_DIR}/data"
PG_RUN="${PG_DIR}/run"
PG_LOG="${PG_DIR}/postgres.log"
DATABASES=(membership events volunteering notifications edge)

REDIS_DIR="${STATE}/redis"
REDIS_PID="${REDIS_DIR}/redis.pid"
REDIS_LOG="${REDIS_DIR}/redis.log"

KAFKA_VERSION="$(hc_kafka_version)"
KAFKA_DIR="${STATE}/kafka"
KAFKA_DATA="${KAFKA_DIR}/data"
KAFKA_PROPS="${KAFKA_DIR}/server.properties"
KAFKA_LOG4J="${KAFKA_DIR}/log4j2.properties"
KAFKA_TOOLS_LOG4J="${KAFKA_DIR}/tools-log4j2.properties"
KAFKA_TLS="${KAFKA_DIR}/tls"
case "${PROFILE}" in
  dev) KAFKA_SSL_PORT=19094 ;;
  *) KAFKA_SSL_PORT=29094 ;;
esac
KAFKA_LOG="${KAFKA_DIR}/logs/server.log"
KAFKA_OUT="${KAFKA_DIR}/kafka.out"
KAFKA_PID="${KAFKA_DIR}/kafka.pid"
KAFKA_CP="${HC_KAFKA_LIBS}/*"
TOPICS=(
  alumni.membership.v1 alumni.events.v1 alumni.volunteering.v1 alumni.notifications.v1
  alumni.dlq.membership alumni.dlq.events alumni.dlq.volunteering alumni.dlq.notifications
)

PROM_DIR="${STATE}/prometheus"
PROM_PID="${PROM_DIR}/prometheus.pid"
PROM_LOG="${PROM_DIR}/prometheus.log"
PROM_CONFIG="${PROM_DIR}/prometheus.yml"
# job name -> metrics port of the service
PROM_TARGETS=(membership:17101 events:17102 volunteering:17103 notifications:17104 edge:17180)
PROM_RULES="${HC_REPO_ROOT}/deploy/prometheus/alerts.yml"
AM_DIR="${STATE}/alertmanager"
AM_PID="${AM_DIR}/alertmanager.pid"
AM_LOG="${AM_DIR}/alertmanager.log"
AM_CONFIG="${AM_DIR}/alertmanager.yml"
NUM_COMPONENTS=3
if [[ -n "${PROM_PORT}" ]]; then NUM_COMPONENTS=4; fi
if [[ -n "${AM_PORT}" ]]; then NUM_COMPONENTS=$((NUM_COMPONENTS + 1)); fi
# Mailpit and the SMS capture server: one step.
NUM_COMPONENTS=$((NUM_COMPONENTS + 1))
# shellcheck source=scripts/stack-channels.sh
source "$(dirname "${BASH_SOURCE[0]}")/stack-channels.sh"

# One `up`/`down` per profile at a time. Daemons are started with `9>&-` so they do
# not inherit (and keep holding) the lock.
lock_state() {
  mkdir -p "${STATE}"
  chmod 755 "${HC_HOME}" "${STATE}"
  exec 9>"${STATE}/.lock"
  flock -w 300 9 || hc_die "another stack.sh holds ${STATE}/.lock"
}

# Fail early when a port is taken by something this script did not start.
ensure_free() {
  local name="$1" port
  shift
  for port in "$@"; do
    if hc_port_open "${HOST}" "${port}"; then
      hc_die "${name}: ${HOST}:${port} is already in use by another process (not ours: no live pid file in ${STATE}); free it or stop that process"
    fi
  done
}

# ============================================================================ PostgreSQL
pg_as() { (cd "${PG_DIR}" && runuser -u postgres -- "$@"); }
pg_running() {
  [[ -f "${PG_DATA}/PG_VERSION" ]] && pg_as "${PG_BIN}/pg_ctl" status -D "${PG_DATA}" >/dev/null 2>&1
}
pg_pid() { head -n1 "${PG_DATA}/postmaster.pid" 2>/dev/null || true; }
pg_ready() { "${PG_BIN}/pg_isready" -q -h "${HOST}" -p "${PG_PORT}" -U postgres -t 2; }
psql_admin() {
  PGCONNECT_TIMEOUT=5 psql -X -q -t -A -v ON_ERROR_STOP=1 \
    -h "${HOST}" -p "${PG_PORT}" -U postgres -d postgres "$@"
}

pg_write_config() {
  # Settings live in homecoming.conf, regenerated on every `up` (applied on next start).
  local fsync=on sync_commit=on fpw=on
  if [[ "${PROFILE}" == test ]]; then fsync=off sync_commit=off fpw=off; fi
  cat >"${PG_DATA}/homecoming.conf" <<EOF
# Generated by scripts/stack.sh (profile ${PROFILE}); edits are overwritten.
listen_addresses = '${HOST}'
port = ${PG_PORT}
unix_socket_directories = '${PG_RUN}'
max_connections = 300
fsync = ${fsync}
synchronous_commit = ${sync_commit}
full_page_writes = ${fpw}
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
EOF
  # Local dev/test only: trust on loopback and the private socket directory.
  cat >"${PG_DATA}/pg_hba.conf" <<EOF
# Generated by scripts/stack.sh — LOCAL DEVELOPMENT ONLY (trust, loopback only).
local   all  all                 trust
host    all  all  127.0.0.1/32   trust
EOF
  if ! grep -q "^include_if_exists = 'homecoming.conf'" "${PG_DATA}/postgresql.conf"; then
    printf "\ninclude_if_exists = 'homecoming.conf'\n" >>"${PG_DATA}/postgresql.conf"
  fi
  chown postgres:postgres "${PG_DATA}/homecoming.conf" "${PG_DATA}/pg_hba.conf"
}

pg_up() {
  [[ -x "${PG_BIN}/pg_ctl" ]] || hc_die "PostgreSQL 15 not found in ${PG_BIN}; run scripts/install-deps.sh"
  id postgres >/dev/null 2>&1 || hc_die "user 'postgres' missing; run scripts/install-deps.sh"
  mkdir -p "${PG_DIR}" "${PG_RUN}"
  chown postgres:postgres "${PG_DIR}" "${PG_RUN}"
  chmod 750 "${PG_DIR}"
  chmod 755 "${PG_RUN}"
  if [[ ! -f "${PG_DATA}/PG_VERSION" ]]; then
    hc_log "postgres: initdb ${PG_DATA}"
    rm -rf "${PG_DATA}"
    local extra=()
    if [[ "${PROFILE}" == test ]]; then extra+=(--no-sync); fi
    pg_as "${PG_BIN}/initdb" -D "${PG_DATA}" -U postgres --encoding=UTF8 --no-locale \
      --auth=trust "${extra[@]}" >"${PG_DIR}/initdb.log" 2>&1 \
      || { hc_tail "${PG_DIR}/initdb.log"; hc_die "postgres: initdb failed (see ${PG_DIR}/initdb.log)"; }
  fi
  pg_write_config
  if pg_running; then
    hc_log "postgres: already running (pid $(pg_pid)), reusing"
    pg_as "${PG_BIN}/pg_ctl" reload -D "${PG_DATA}" -s >/dev/null 2>&1 || true
  else
    ensure_free postgres "${PG_PORT}"
    hc_log "postgres: starting on ${HOST}:${PG_PORT}"
    touch "${PG_LOG}" && chown postgres:postgres "${PG_LOG}"
    pg_as "${PG_BIN}/pg_ctl" start -D "${PG_DATA}" -l "${PG_LOG}" -w -t 60 -s 9>&- \
      || { hc_tail "${PG_LOG}"; hc_die "postgres: failed to start (log: ${PG_LOG})"; }
  fi
  hc_wait_until 30 "postgres on ${HOST}:${PG_PORT}" pg_ready \
    || { hc_tail "${PG_LOG}"; hc_die "postgres: not accepting connections (log: ${PG_LOG})"; }
  local existing db created=()
  existing="$(psql_admin -c 'SELECT datname FROM pg_database')"
  for db in "${DATABASES[@]}"; do
    if ! grep -qx "${db}" <<<"${existing}"; then
      psql_admin -c "CREATE DATABASE \"${db}\"" >/dev/null
      created+=("${db}")
    fi
  done
  if ((${#created[@]})); then
    hc_log "postgres: created databases ${created[*]}"
  fi
  hc_log "postgres: ready (pid $(pg_pid))"
}

pg_down() {
  if pg_running; then
    hc_log "postgres: stopping (pid $(pg_pid))"
    pg_as "${PG_BIN}/pg_ctl" stop -D "${PG_DATA}" -m fast -w -t 60 -s \
      || hc_warn "postgres: pg_ctl stop failed (log: ${PG_LOG})"
  else
    hc_log "postgres: not running"
  fi
}

# ============================================================================ Redis
redis_pid() { hc_pid_alive "${REDIS_PID}" "redis-server"; }
redis_ready() { [[ "$(redis-cli -h "${HOST}" -p "${REDIS_PORT}" ping 2>/dev/null)" == PONG ]]; }

redis_up() {
  hc_need redis-server redis-cli
  mkdir -p "${REDIS_DIR}"
  local pid
  if pid="$(redis_pid)"; then
    hc_log "redis: already running (pid ${pid}), reusing"
  else
    ensure_free redis "${REDIS_PORT}"
    hc_log "redis: starting on ${HOST}:${REDIS_PORT}"
    rm -f "${REDIS_PID}"
    redis-server --port "${REDIS_PORT}" --bind "${HOST}" --daemonize yes \
      --save "" --appendonly no --dir "${REDIS_DIR}" \
      --pidfile "${REDIS_PID}" --logfile "${REDIS_LOG}" 9>&- \
      || { hc_tail "${REDIS_LOG}"; hc_die "redis: failed to start (log: ${REDIS_LOG})"; }
  fi
  hc_wait_until 20 "redis PING on ${HOST}:${REDIS_PORT}" redis_ready \
    || { hc_tail "${REDIS_LOG}"; hc_die "redis: not answering PING (log: ${REDIS_LOG})"; }
  hc_log "redis: ready (pid $(redis_pid || echo '?'))"
}

redis_down() {
  local pid
  if pid="$(redis_pid)"; then
    hc_log "redis: stopping (pid ${pid})"
    redis-cli -h "${HOST}" -p "${REDIS_PORT}" shutdown nosave >/dev/null 2>&1 || true
    if ! hc_wait_until 10 "redis to exit" hc_pid_gone "${pid}"; then
      hc_stop_pid "${pid}" redis 10
    fi
    rm -f "${REDIS_PID}"
  else
    hc_log "redis: not running"
  fi
}

# ============================================================================ Kafka
kafka_pid() {
  hc_pid_alive "${KAFKA_PID}" "kafka.Kafka ${KAFKA_PROPS}" && return 0
  # Pid file lost: look for a broker started with exactly this profile's config.
  local pids
  pids="$(pgrep -f -- "kafka\.Kafka ${KAFKA_PROPS}\$" || true)"
  [[ -n "${pids}" ]] || return 1
  printf '%s\n' "${pids%%$'\n'*}"
}
kafka_ready() {
  local md
  md="$(kcat -b "${HOST}:${KAFKA_PORT}" -L -m 3 2>/dev/null)" || return 1
  [[ "${md}" == *"broker 1 at ${HOST}:${KAFKA_PORT}"* ]]
}
# Short-lived tool JVMs: small heap, no C2 — they start noticeably faster.
kafka_tool() {
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="${KAFKA_TOOLS_LOG4J}" \
    -cp "${KAFKA_CP}" "$@"
}

# A small CA, a broker certificate (for 127.0.0.1 and localhost: librdkafka checks the host
# name) and one client certificate, made once per state directory. Keys are unencrypted PKCS#8
# PEM, which both the broker (ssl.keystore.type=PEM) and librdkafka read directly.
kafka_tls_once() {
  [[ -f "${KAFKA_TLS}/client.pem" && -f "${KAFKA_TLS}/broker.pem" ]] && return 0
  hc_need openssl
  hc_log "kafka: making a test CA and broker/client certificates in ${KAFKA_TLS}"
  mkdir -p "${KAFKA_DIR}"
  local tmp
  tmp="$(mktemp -d "${KAFKA_DIR}/tls.tmp.XXXXXX")"
  (
    set -e
    cd "${tmp}"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca.key
    openssl req -x509 -new -key ca.key -sha256 -days 3650 \
      -subj "/CN=homecoming-${PROFILE}-kafka-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out ca.pem
    for who in broker client; do
      openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${who}.key"
      openssl req -new -key "${who}.key" -subj "/CN=homecoming-${PROFILE}-${who}" -out "${who}.csr"
    done
    printf '%s\n' "subjectAltName=IP:${HOST},DNS:localhost" \
      "extendedKeyUsage=serverAuth,clientAuth" >broker.ext
    printf '%s\n' "extendedKeyUsage=clientAuth" >client.ext
    for who in broker client; do
      openssl x509 -req -in "${who}.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
        -days 3650 -extfile "${who}.ext" -out "${who}.crt"
    done
    # The broker's PEM keystore holds its key and certificate in one file.
    cat broker.key broker.crt >broker.pem
    mv client.crt client.pem
    rm -f ./*.csr ./*.ext ca.srl broker.crt
    chmod 600 ca.key broker.key broker.pem client.key
  ) >"${KAFKA_DIR}/tls.log" 2>&1 || {
    hc_tail "${KAFKA_DIR}/tls.log"
    rm -rf "${tmp}"
    hc_die "kafka: making certificates failed (${KAFKA_DIR}/tls.log)"
  }
  rm -rf "${KAFKA_TLS}"
  mv "${tmp}" "${KAFKA_TLS}"
  chmod 755 "${KAFKA_TLS}"
}

kafka_write_config() {
  mkdir -p "${KAFKA_DATA}" "${KAFKA_DIR}/logs"
  cat >"${KAFKA_PROPS}" <<EOF
# Generated by scripts/stack.sh (profile ${PROFILE}); edits are overwritten.
# Single-node KRaft (combined broker + controller), loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${KAFKA_CTRL_PORT}
listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},CONTROLLER://${HOST}:${KAFKA_CTRL_PORT},SSL://${HOST}:${KAFKA_SSL_PORT}
advertised.listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},SSL://${HOST}:${KAFKA_SSL_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL
# mTLS listener: clients must present a certificate signed by the stack's CA.
listener.name.ssl.ssl.keystore.type=PEM
listener.name.ssl.ssl.keystore.location=${KAFKA_TLS}/broker.pem
listener.name.ssl.ssl.truststore.type=PEM
listener.name.ssl.ssl.truststore.location=${KAFKA_TLS}/ca.pem
listener.name.ssl.ssl.client.auth=required
log.dirs=${KAFKA_DATA}
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=168
num.network.threads=2
num.io.threads=4
EOF
  # Kafka 4 logs through log4j2 (log4j 1.x configurations are no longer read).
  cat >"${KAFKA_LOG4J}" <<EOF
# Generated by scripts/stack.sh: broker logs go to ${KAFKA_LOG}
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = ${KAFKA_LOG}
appender.file.filePattern = ${KAFKA_LOG}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = warn
logger.statechange.name = state.change.logger
logger.statechange.level = warn
logger.controller.name = org.apache.kafka.controller
logger.controller.level = info
logger.metadata.name = org.apache.kafka.metadata
logger.metadata.level = warn
logger.storage.name = org.apache.kafka.storage.internals.log
logger.storage.level = warn
logger.log.name = kafka.log
logger.log.level = warn
EOF
  cat >"${KAFKA_TOOLS_LOG4J}" <<'EOF'
# Generated by scripts/stack.sh: Kafka command-line tools log warnings to stderr.
status = warn
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = stderr
EOF
}

kafka_format_once() {
  [[ -f "${KAFKA_DATA}/meta.properties" ]] && return 0
  local id
  id="$(kafka_tool kafka.tools.StorageTool random-uuid)" \
    || hc_die "kafka: StorageTool random-uuid failed"
  hc_log "kafka: formatting ${KAFKA_DATA} (cluster id ${id})"
  kafka_tool kafka.tools.StorageTool format -t "${id}" -c "${KAFKA_PROPS}" \
    >"${KAFKA_DIR}/format.log" 2>&1 \
    || { hc_tail "${KAFKA_DIR}/format.log"; hc_die "kafka: storage format failed (${KAFKA_DIR}/format.log)"; }
}

kafka_wait_ready() {
  local pid="$1" deadline=$((SECONDS + 120))
  until kafka_ready; do
    if hc_pid_gone "${pid}"; then
      hc_tail "${KAFKA_OUT}" 10
      hc_tail "${KAFKA_LOG}" 25
      hc_die "kafka: broker exited during startup (logs: ${KAFKA_LOG}, ${KAFKA_OUT})"
    fi
    if ((SECONDS >= deadline)); then
      hc_tail "${KAFKA_LOG}" 25
      hc_die "kafka: broker not answering metadata on ${HOST}:${KAFKA_PORT} after 120s (pid ${pid} still running; logs: ${KAFKA_LOG}, ${KAFKA_OUT})"
    fi
    sleep 0.5
  done
}

# Deletes every topic in TOPICS and waits until the broker no longer lists them (deletion is
# asynchronous), then creates them again.
kafka_reset_topics() {
  local pattern
  pattern="^($(IFS='|'; echo "${TOPICS[*]//./\\.}"))$"
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "${HOST}:${KAFKA_PORT}" \
    --delete --if-exists --topic "${pattern}" >"${KAFKA_DIR}/logs/topic-delete.log" 2>&1 ||
    { hc_tail "${KAFKA_DIR}/logs/topic-delete.log"; hc_die "kafka: deleting the topics failed"; }
  topics_gone() {
    ! kcat -b "${HOST}:${KAFKA_PORT}" -L -m 5 2>/dev/null |
      sed -n 's/^  topic "\([^"]*\)" with .*/\1/p' | grep -Eq "${pattern}"
  }
  hc_wait_until 60 "the deleted topics to go" topics_gone || hc_die "kafka: topics not deleted"
  hc_log "kafka: deleted ${#TOPICS[@]} topics"
  kafka_create_topics
}

kafka_create_topics() {
  local existing t missing=() pids=() failed=0 i
  existing="$(kcat -b "${HOST}:${KAFKA_PORT}" -L -m 5 2>/dev/null \
    | sed -n 's/^  topic "\([^"]*\)" with .*/\1/p')"
  for t in "${TOPICS[@]}"; do
    grep -qx "${t}" <<<"${existing}" || missing+=("${t}")
  done
  if ((${#missing[@]} == 0)); then
    hc_log "kafka: all ${#TOPICS[@]} topics present"
    return 0
  fi
  hc_log "kafka: creating ${#missing[@]} topic(s): ${missing[*]}"
  # TopicCommand takes one topic per JVM; run them two at a time (2 cores).
  for ((i = 0; i < ${#missing[@]}; i++)); do
    t="${missing[i]}"
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "${HOST}:${KAFKA_PORT}" \
      --create --if-not-exists --topic "${t}" --partitions 3 --replication-factor 1 \
      >"${KAFKA_DIR}/logs/topic-${t}.log" 2>&1 &
    pids+=("$!")
    if ((${#pids[@]} == 2 || i == ${#missing[@]} - 1)); then
      local p
      for p in "${pids[@]}"; do wait "${p}" || failed=1; done
      pids=()
    fi
  done
  if ((failed)); then
    for t in "${missing[@]}"; do hc_tail "${KAFKA_DIR}/logs/topic-${t}.log" 5; done
    hc_die "kafka: topic creation failed (logs: ${KAFKA_DIR}/logs/topic-*.log)"
  fi
  rm -f "${KAFKA_DIR}"/logs/topic-*.log
}

kafka_up() {
  hc_need java kcat
  [[ -n "${KAFKA_VERSION}" && -f "${HC_KAFKA_LIBS}/kafka_2.13-${KAFKA_VERSION}.jar" ]] \
    || hc_die "kafka: jars for ${KAFKA_VERSION:-?} not in ${HC_KAFKA_LIBS}; run scripts/install-deps.sh"
  kafka_tls_once
  kafka_write_config
  local pid
  if pid="$(kafka_pid)"; then
    hc_log "kafka: already running (pid ${pid}), reusing"
    printf '%s\n' "${pid}" >"${KAFKA_PID}"
  else
    ensure_free kafka "${KAFKA_PORT}" "${KAFKA_CTRL_PORT}" "${KAFKA_SSL_PORT}"
    if [[ "${PROFILE}" == test ]]; then
      # The test broker's topics are every suite's own and disposable; thousands of them piled
      # up over many runs once exhausted its heap. Each start of the test stack begins empty.
      rm -rf "${KAFKA_DATA}"
    fi
    kafka_format_once
    hc_log "kafka: starting ${KAFKA_VERSION} on ${HOST}:${KAFKA_PORT} (controller ${KAFKA_CTRL_PORT})"
    # setsid: own session, so a Ctrl-C in this terminal does not reach the broker.
    (
      cd "${KAFKA_DIR}"
      exec setsid nohup java -Xms256m -Xmx1g \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true -Dkafka.logs.dir="${KAFKA_DIR}/logs" \
        -Dlog4j2.configurationFile="${KAFKA_LOG4J}" \
        -cp "${KAFKA_CP}" kafka.Kafka "${KAFKA_PROPS}"
    ) </dev/null >"${KAFKA_OUT}" 2>&1 9>&- &
    pid=$!
    printf '%s\n' "${pid}" >"${KAFKA_PID}"
    hc_log "kafka: pid ${pid}, waiting for the broker (log: ${KAFKA_LOG})"
  fi
  kafka_wait_ready "${pid}"
  kafka_create_topics
  hc_log "kafka: ready (pid ${pid})"
}

kafka_down() { hc_stop_daemon kafka kafka_pid "${KAFKA_PID}" 60 "controlled shutdown"; }

# ============================================================================ Prometheus
prom_pid() { hc_pid_alive "${PROM_PID}" "--web.listen-address=${HOST}:${PROM_PORT}"; }
prom_ready() { curl -fsS -m 2 "http://${HOST}:${PROM_PORT}/-/ready" >/dev/null 2>&1; }

# Writes the config; succeeds only when the content changed.
prom_write_config() {
  local t job port tmp="${PROM_CONFIG}.tmp"
  {
    echo "# Generated by scripts/stack.sh (profile ${PROFILE}); edits are overwritten."
    echo "global:"
    echo "  scrape_interval: 5s"
    echo "  evaluation_interval: 5s"
    if [[ -n "${AM_PORT}" ]]; then
      echo "rule_files:"
      echo "  - ${PROM_RULES}"
      echo "alerting:"
      echo "  alertmanagers:"
      echo "    - static_configs:"
      echo "        - targets: ['${HOST}:${AM_PORT}']"
    fi
    echo "scrape_configs:"
    for t in "${PROM_TARGETS[@]}"; do
      job="${t%%:*}" port="${t##*:}"
      echo "  - job_name: ${job}"
      echo "    static_configs:"
      echo "      - targets: ['${HOST}:${port}']"
    done
  } >"${tmp}"
  if cmp -s "${tmp}" "${PROM_CONFIG}"; then
    rm -f "${tmp}"
    return 1
  fi
  mv "${tmp}" "${PROM_CONFIG}"
}

prom_up() {
  hc_need prometheus curl
  mkdir -p "${PROM_DIR}/data"
  local pid changed=0
  if prom_write_config; then changed=1; fi
  if pid="$(prom_pid)"; then
    if ((changed)); then
      hc_log "prometheus: already running (pid ${pid}), config changed: reloading"
      kill -HUP "${pid}" 2>/dev/null || true
    elif [[ -n "${AM_PORT}" ]]; then
      # The rules live in the repository and may have changed since: a reload reads them again.
      hc_log "prometheus: already running (pid ${pid}), reloading its rules"
      kill -HUP "${pid}" 2>/dev/null || true
    else
      hc_log "prometheus: already running (pid ${pid}), reusing"
    fi
  else
    ensure_free prometheus "${PROM_PORT}"
    hc_log "prometheus: starting on ${HOST}:${PROM_PORT}"
    (
      cd "${PROM_DIR}"
      exec setsid nohup prometheus --config.file="${PROM_CONFIG}" \
        --storage.tsdb.path="${PROM_DIR}/data" --storage.tsdb.retention.time=7d \
        --web.listen-address="${HOST}:${PROM_PORT}" --web.enable-lifecycle
    ) </dev/null >>"${PROM_LOG}" 2>&1 9>&- &
    pid=$!
    printf '%s\n' "${pid}" >"${PROM_PID}"
  fi
  hc_wait_until 30 "prometheus /-/ready" prom_ready \
    || { hc_tail "${PROM_LOG}"; hc_die "prometheus: not ready (log: ${PROM_LOG})"; }
  hc_log "prometheus: ready (pid ${pid})"
}

prom_down() { hc_stop_daemon prometheus prom_pid "${PROM_PID}" 30; }

# ============================================================================ Alertmanager
am_pid() { hc_pid_alive "${AM_PID}" "--web.listen-address=${HOST}:${AM_PORT}"; }
am_ready() { curl -fsS -m 2 "http://${HOST}:${AM_PORT}/-/ready" >/dev/null 2>&1; }

am_up() {
  hc_need prometheus-alertmanager amtool curl
  mkdir -p "${AM_DIR}/data"
  local pid tmp="${AM_CONFIG}.tmp"
  # Every alert goes by email to this stack's Mailpit.
  "${HC_REPO_ROOT}/scripts/alertmanager-config.sh" "${HOST}:${SMTP_PORT}" >"${tmp}"
  amtool check-config "${tmp}" >/dev/null || hc_die "alertmanager: invalid config ${tmp}"
  mv "${tmp}" "${AM_CONFIG}"
  if pid="$(am_pid)"; then
    hc_log "alertmanager: already running (pid ${pid}), reloading its config"
    kill -HUP "${pid}" 2>/dev/null || true
  else
    ensure_free alertmanager "${AM_PORT}"
    hc_log "alertmanager: starting on ${HOST}:${AM_PORT}"
    (
      cd "${AM_DIR}"
      # No cluster: one local instance (the gossip port would otherwise take 9094).
      exec setsid nohup prometheus-alertmanager --config.file="${AM_CONFIG}" \
        --storage.path="${AM_DIR}/data" --web.listen-address="${HOST}:${AM_PORT}" \
        --cluster.listen-address=""
    ) </dev/null >>"${AM_LOG}" 2>&1 9>&- &
    pid=$!
    printf '%s\n' "${pid}" >"${AM_PID}"
  fi
  hc_wait_until 30 "alertmanager /-/ready" am_ready \
    || { hc_tail "${AM_LOG}"; hc_die "alertmanager: not ready (log: ${AM_LOG})"; }
  hc_log "alertmanager: ready (pid ${pid}), alerts are emailed to Mailpit"
}

am_down() { hc_stop_daemon alertmanager am_pid "${AM_PID}" 30; }

# ============================================================================ actions
write_env() {
  local tmp="${ENV_FILE}.tmp"
  {
    echo "# Generated by scripts/stack.sh up --profile ${PROFILE}"
    echo "HC_PROFILE=${PROFILE}"
    echo "HC_PG_URL_BASE=postgresql://postgres@${HOST}:${PG_PORT}"
    echo "HC_PG_HOST=${HOST}"
    echo "HC_PG_PORT=${PG_PORT}"
    echo "HC_REDIS_ADDR=${HOST}:${REDIS_PORT}"
    echo "HC_KAFKA_BROKERS=${HOST}:${KAFKA_PORT}"
    echo "HC_KAFKA_CLASSPATH=${KAFKA_CP}"
    echo "HC_KAFKA_SSL_BROKERS=${HOST}:${KAFKA_SSL_PORT}"
    echo "HC_KAFKA_SSL_CA_FILE=${KAFKA_TLS}/ca.pem"
    echo "HC_KAFKA_SSL_CERT_FILE=${KAFKA_TLS}/client.pem"
    echo "HC_KAFKA_SSL_KEY_FILE=${KAFKA_TLS}/client.key"
    if [[ -n "${PROM_PORT}" ]]; then
      echo "HC_PROMETHEUS_URL=http://${HOST}:${PROM_PORT}"
    fi
    if [[ -n "${AM_PORT}" ]]; then
      echo "HC_ALERTMANAGER_URL=http://${HOST}:${AM_PORT}"
    fi
    channels_env
  } >"${tmp}"
  mv "${tmp}" "${ENV_FILE}"
}

do_up() {
  lock_state
  local t0="${EPOCHREALTIME/[.,]/}"
  hc_steps "${NUM_COMPONENTS}"
  hc_step "postgres";   pg_up
  hc_step "redis";      redis_up
  hc_step "kafka";      kafka_up
  hc_step "mailpit and sms-capture"; channels_up
  if [[ -n "${AM_PORT}" ]]; then
    hc_step "alertmanager"; am_up
  fi
  if [[ -n "${PROM_PORT}" ]]; then
    hc_step "prometheus"; prom_up
  fi
  write_env
  HC_STEPS=0
  local ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
  hc_log "stack '${PROFILE}' up in $((ms / 1000)).$(((ms % 1000) / 100))s"
  local dbs
  dbs="$(IFS=,; echo "${DATABASES[*]}")"
  {
    echo
    echo "  PostgreSQL  postgresql://postgres@${HOST}:${PG_PORT}/{${dbs}}"
    echo "              log ${PG_LOG}"
    echo "  Redis       ${HOST}:${REDIS_PORT}    log ${REDIS_LOG}"
    echo "  Kafka       ${HOST}:${KAFKA_PORT} (controller ${KAFKA_CTRL_PORT}, mTLS ${KAFKA_SSL_PORT})    log ${KAFKA_LOG}"
    if [[ -n "${PROM_PORT}" ]]; then
      echo "  Prometheus  http://${HOST}:${PROM_PORT}    log ${PROM_LOG}"
    fi
    if [[ -n "${AM_PORT}" ]]; then
      echo "  Alertmanager http://${HOST}:${AM_PORT}    log ${AM_LOG}    (emails alerts to Mailpit)"
    fi
    channels_summary
    echo "  env file    ${ENV_FILE}"
    echo "              (set -a; . ${ENV_FILE}; set +a)"
  }
}

do_down() {
  lock_state
  hc_steps "${NUM_COMPONENTS}"
  if [[ -n "${PROM_PORT}" ]]; then
    hc_step "prometheus"; prom_down
  fi
  if [[ -n "${AM_PORT}" ]]; then
    hc_step "alertmanager"; am_down
  fi
  hc_step "mailpit and sms-capture"; channels_down
  hc_step "kafka";    kafka_down
  hc_step "redis";    redis_down
  hc_step "postgres"; pg_down
  rm -f "${ENV_FILE}"
  HC_STEPS=0
  hc_log "stack '${PROFILE}' down"
}

do_status() {
  local ok=0 bad=0 pid
  line() { printf '  %-11s %-8s %-12s %s\n' "$@"; }
  echo "stack '${PROFILE}' (${STATE})"
  if pg_running && pg_ready; then
    line postgres running "pid $(pg_pid)" "${HOST}:${PG_PORT}"; ok=$((ok + 1))
  else
    line postgres stopped "" "${HOST}:${PG_PORT}"; bad=$((bad + 1))
  fi
  if pid="$(redis_pid)" && redis_ready; then
    line redis running "pid ${pid}" "${HOST}:${REDIS_PORT}"; ok=$((ok + 1))
  else
    line redis stopped "" "${HOST}:${REDIS_PORT}"; bad=$((bad + 1))
  fi
  if pid="$(kafka_pid)"; then
    if kafka_ready; then
      line kafka running "pid ${pid}" "${HOST}:${KAFKA_PORT}"; ok=$((ok + 1))
    else
      line kafka starting "pid ${pid}" "${HOST}:${KAFKA_PORT} (not answering yet)"; bad=$((bad + 1))
    fi
  else
    line kafka stopped "" "${HOST}:${KAFKA_PORT}"; bad=$((bad + 1))
  fi
  if [[ -n "${PROM_PORT}" ]]; then
    if pid="$(prom_pid)" && prom_ready; then
      line prometheus running "pid ${pid}" "http://${HOST}:${PROM_PORT}"; ok=$((ok + 1))
    else
      line prometheus stopped "" "http://${HOST}:${PROM_PORT}"; bad=$((bad + 1))
    fi
  fi
  if [[ -n "${AM_PORT}" ]]; then
    if pid="$(am_pid)" && am_ready; then
      line alertmanager running "pid ${pid}" "http://${HOST}:${AM_PORT}"; ok=$((ok + 1))
    else
      line alertmanager stopped "" "http://${HOST}:${AM_PORT}"; bad=$((bad + 1))
    fi
  fi
  channels_status
  if [[ -f "${ENV_FILE}" ]]; then echo "  env file    ${ENV_FILE}"; fi
  ((bad == 0)) || return 3
}

hc_require_root
case "${ACTION}" in
  up) do_up ;;
  down) do_down ;;
  status) do_status ;;
  reset-topics) lock_state; kafka_reset_topics ;;
esac
