#!/usr/bin/env bash
# The one test command: installs what is missing, builds, starts the test stack (real
# PostgreSQL, Redis, Kafka, Mailpit and the SMS capture server on loopback), runs every unit and
# integration test, then the browser tests (scripts/browser-test.sh: the whole system driven
# through the web app in Chromium), and stops the stack again.
#
#   scripts/test.sh [ctest arguments...]     e.g. scripts/test.sh -R Outbox
#                                            (with arguments, only those ctest tests run)
#
# Environment: HC_HOME (default /var/tmp/homecoming), HC_KEEP_STACK=1 leaves the test stack
# running afterwards (for re-running single tests by hand).
set -euo pipefail
HC_LOG_TAG="test"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${HC_REPO_ROOT}"

hc_steps 6
hc_step "installing dependencies (grpcurl seeds the browser tests' members)"
scripts/install-deps.sh --tools
hc_step "building"
scripts/build.sh
hc_step "starting the test stack"
stop_stack() {
  if [[ "${HC_KEEP_STACK:-0}" != 1 ]]; then scripts/stack.sh down --profile test || true; fi
}
trap stop_stack EXIT
scripts/stack.sh up --profile test

set -a
# shellcheck disable=SC1091
. "${HC_HOME}/test/stack.env"
set +a
export HC_TEST_PG_URL_BASE="${HC_PG_URL_BASE}"
export HC_TEST_REDIS_ADDR="${HC_REDIS_ADDR}"
export HC_TEST_KAFKA_BROKERS="${HC_KAFKA_BROKERS}"
export HC_KAFKA_CLASSPATH
export HC_TEST_SMTP_URL="${HC_SMTP_URL}"
export HC_TEST_MAILPIT_URL="${HC_MAILPIT_URL}"
export HC_TEST_SMS_BASE_URL="${HC_SMS_BASE_URL}"
export HC_TEST_SMS_ACCOUNT_ID="${HC_SMS_ACCOUNT_ID}"
export HC_TEST_SMS_TOKEN_FILE="${HC_SMS_TOKEN_FILE}"
# The stack's mTLS listener and the client certificate it accepts (libs/kafka's SSL tests).
export HC_TEST_KAFKA_SSL_BROKERS="${HC_KAFKA_SSL_BROKERS:-}"
export HC_TEST_KAFKA_SSL_CA_FILE="${HC_KAFKA_SSL_CA_FILE:-}"
export HC_TEST_KAFKA_SSL_CERT_FILE="${HC_KAFKA_SSL_CERT_FILE:-}"
export HC_TEST_KAFKA_SSL_KEY_FILE="${HC_KAFKA_SSL_KEY_FILE:-}"

hc_step "running the tests"
# Unit tests in parallel; integration tests are RUN_SERIAL (they start brokers of their own).
ctest --test-dir build --output-on-failure --timeout 600 -j 2 "$@"
if (($# == 0)); then
  hc_step "running the browser tests"
  scripts/browser-test.sh
  # Every image (deploy/images) built from the build above and smoke-tested against the stack:
  # non-root, grpc.health.v1 SERVING, exit 0 on SIGTERM.
  hc_step "building and smoke-testing the container images"
  scripts/install-deps.sh --images
  scripts/images.sh build
  scripts/images.sh smoke
fi
hc_log "all tests passed in $((SECONDS - _HC_T0))s"
