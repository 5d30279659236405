#!/usr/bin/env bash
# The one test command: installs what is missing, builds, starts the test stack (real
# PostgreSQL, Redis, Kafka, Mailpit and the SMS capture server on loopback), runs every unit and
# integration test, then the browser tests (scripts/browser-test.sh: the whole system driven
# through the web app in Chromium), builds and smoke-tests the container images, runs the whole
# system from them (scripts/compose.sh, on scripts/run.sh's ports: stop run.sh first), and
# stops the stack again.
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

# The last step runs the whole system from its images on scripts/run.sh's ports: say so now,
# not after half an hour of tests.
if (($# == 0)) && (exec 3<>/dev/tcp/127.0.0.1/17080) 2>/dev/null; then
  hc_die "something listens on 127.0.0.1:17080 (scripts/run.sh or scripts/compose.sh?): the test" \
    "command runs the compose stack on those ports at its end; stop it first"
fi

hc_steps 7
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
  # The whole system from those images (deploy/compose.yaml), as a laptop user starts it: every
  # part answers, and a sign-in, an RSVP, its email and the Prometheus scrape work through it.
  hc_step "running the whole system from its images (scripts/compose.sh)"
  if ! { scripts/compose.sh up && scripts/compose.sh smoke; }; then
    scripts/compose.sh down --volumes || true
    hc_die "the compose stack did not come up or failed its smoke test"
  fi
  scripts/compose.sh down --volumes
fi
hc_log "all tests passed in $((SECONDS - _HC_T0))s"
