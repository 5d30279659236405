#!/usr/bin/env bash
# Builds and smoke-tests Homecoming's container images (deploy/images/), from Debian packages
# alone: the base root filesystem is made with mmdebstrap and `podman import`ed; the service
# images copy the host's build (scripts/build.sh), stripped; nothing is compiled per image and
# nothing is pulled from a registry.
#
#   scripts/images.sh build [NAME...]   build the images (default: all), print sizes and time
#   scripts/images.sh smoke [NAME...]   run each service image against the running test stack:
#                                       non-root, grpc.health.v1 SERVING (edge: /healthz),
#                                       exit 0 on SIGTERM (podman stop) within the grace period
#   scripts/images.sh list              the images and their sizes
#
# Images: localhost/homecoming/<name>:${HC_IMAGE_TAG:-dev}. podman runs with
# deploy/images/containers.conf (runc, ulimits) through CONTAINERS_CONF.
# Environment: HC_HOME (default /var/tmp/homecoming), HC_IMAGE_TAG (default dev),
# HC_IMAGES_SMOKE_PORT_BASE (default 23000: below the kernel's ephemeral range, 32768-60999,
# so no outgoing connection can hold a port the smoke test is about to bind).
set -euo pipefail
HC_LOG_TAG="images"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${HC_REPO_ROOT}"

export CONTAINERS_CONF="${HC_REPO_ROOT}/deploy/images/containers.conf"
TAG="${HC_IMAGE_TAG:-dev}"
WORK="${HC_HOME}/images"
SERVICE_IMAGES=(membership events volunteering notifications edge)
ALL_IMAGES=("${SERVICE_IMAGES[@]}" tools postgres redis kafka prometheus alertmanager mailpit)
# haproxy fronts the production Redis (k8s/platform/redis.yaml); sms-capture is the compose
# stack's SMS provider stand-in (deploy/compose.yaml).
ALL_IMAGES+=(haproxy sms-capture)
SIZE_AIM_MB=120
image() { echo "localhost/homecoming/$1:${TAG}"; }

# --- build -------------------------------------------------------------------
# The base tarball is remade only when its recipe changes (mmdebstrap takes a minute or two and
# downloads ~40 MB); re-importing it would also throw away every image layer built on it.
build_base() {
  local recipe_sum stamp="${WORK}/base.sum"
  recipe_sum="$(cat deploy/images/mkbase.sh deploy/images/runtime-packages.txt | sha256sum | cut -c1-16)"
  if [[ -s "${WORK}/base.tar" && "$(cat "${stamp}" 2>/dev/null)" == "${recipe_sum}" ]] \
      && podman image exists "$(image base)"; then
    hc_log "base: up to date (recipe ${recipe_sum})"
    return 0
  fi
  local t0="${SECONDS}"
  hc_log "base: mmdebstrap bookworm minbase + runtime libraries"
  deploy/images/mkbase.sh "${WORK}/base.tar.tmp" >"${WORK}/mkbase.log" 2>&1 \
    || { hc_tail "${WORK}/mkbase.log" 30; hc_die "mmdebstrap failed (${WORK}/mkbase.log)"; }
  mv "${WORK}/base.tar.tmp" "${WORK}/base.tar"
  podman import --quiet --change 'CMD ["/bin/bash"]' "${WORK}/base.tar" "$(image base)" >/dev/null
  echo "${recipe_sum}" >"${stamp}"
  hc_log "base: made in $((SECONDS - t0))s"
}

# The build context: only what the images copy, so podman does not read the whole checkout.
stage_context() {
  local ctx="${WORK}/context" name
  rm -rf "${ctx}"
  mkdir -p "${ctx}/bin/tools" "${ctx}/web" "${ctx}/kafka" "${ctx}/deploy"
  for name in "${SERVICE_IMAGES[@]}"; do
    [[ -x "build/services/${name}/${name}" ]] || hc_die "build/services/${name}/${name} is not built (scripts/build.sh)"
    strip --strip-unneeded -o "${ctx}/bin/${name}" "build/services/${name}/${name}"
  done
  [[ -x build/libs/auth/hc-token ]] || hc_die "build/libs/auth/hc-token is not built"
  strip --strip-unneeded -o "${ctx}/bin/tools/hc-token" build/libs/auth/hc-token
  ln -s hc-token "${ctx}/bin/tools/mint-token"
  # hc-dlq (tools/hc-dlq) joins the tools image once it is built.
  local dlq; dlq="$(find build -name hc-dlq -type f -perm -u+x -print -quit 2>/dev/null || true)"
  if [[ -n "${dlq}" ]]; then
    strip --strip-unneeded -o "${ctx}/bin/tools/hc-dlq" "${dlq}"
  fi
  # hc-service-tokens: the k8s CronJob service-tokens runs it from the tools image.
  [[ -x build/tools/hc-service-tokens/hc-service-tokens ]] \
    || hc_die "build/tools/hc-service-tokens/hc-service-tokens is not built (scripts/build.sh)"
  strip --strip-unneeded -o "${ctx}/bin/tools/hc-service-tokens" \
    build/tools/hc-service-tokens/hc-service-tokens
  [[ -f web/dist/index.html ]] || hc_die "web/dist is not built (scripts/build.sh)"
  cp -a web/dist "${ctx}/web/dist"
  local kv; kv="$(hc_kafka_version)"
  [[ "$(cat "${HC_KAFKA_LIBS}/.kafka-version" 2>/dev/null)" == "${kv}" ]] \
    || hc_die "the Kafka ${kv} jars are not in ${HC_KAFKA_LIBS} (scripts/install-deps.sh)"
  cp -a "${HC_KAFKA_LIBS}" "${ctx}/kafka/libs"
  hc_have mailpit || hc_die "mailpit not found (scripts/install-deps.sh)"
  cp "$(command -v mailpit)" "${ctx}/bin/mailpit"
  cp scripts/sms-capture.py "${ctx}/bin/sms-capture.py"
  cp -a deploy/images deploy/prometheus "${ctx}/deploy/"
}

# apt in the infrastructure images sees the host's sources and package lists, read-only.
APT_VOLUMES=()
apt_volumes() {
  local p
  for p in /etc/apt/sources.list /etc/apt/sources.list.d /etc/apt/trusted.gpg.d /var/lib/apt/lists; do
    [[ -e "${p}" ]] && APT_VOLUMES+=(--volume "${p}:${p}:ro")
  done
  # The host's lists are kept compressed (Debian's container apt configuration); say so.
  APT_VOLUMES+=(--volume "${HC_REPO_ROOT}/deploy/images/apt-host-lists.conf:/etc/apt/apt.conf.d/99host-lists:ro")
}

image_mb() {
  podman image inspect --format '{{.Size}}' "$(image "$1")" | awk '{ printf "%.1f", $1 / 1000000 }'
}

cmd_build() {
  local names=("$@") t0="${SECONDS}" name
  ((${#names[@]})) || names=("${ALL_IMAGES[@]}")
  hc_need podman mmdebstrap runc strip
  mkdir -p "${WORK}"
  hc_steps 3
  hc_step "base root filesystem"
  build_base
  hc_step "staging the build context"
  stage_context
  apt_volumes
  # apt in the builds reads the host's lists: refresh them when they are a day old, or it
  # asks the mirror for package versions a point release has since replaced.
  if ! find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 | grep -q .; then
    hc_log "refreshing the host's apt lists"
    apt-get update -q >"${WORK}/apt-update.log" 2>&1 \
      || { hc_tail "${WORK}/apt-update.log"; hc_die "apt-get update failed"; }
  fi
  hc_step "building ${#names[@]} images"
  for name in "${names[@]}"; do
    local t1="${SECONDS}" volumes=("${APT_VOLUMES[@]}")
    # Only apt needs the host's lists. The service images' runtime stage purges apt and its
    # keyring, which fails on those read-only mounts (seen on a cold build), so they get none.
    if [[ " ${SERVICE_IMAGES[*]} tools " == *" ${name} "* ]]; then volumes=(); fi
    podman build --quiet --layers --target "${name}" --build-arg "BASE=$(image base)" \
      "${volumes[@]}" -f deploy/images/Containerfile -t "$(image "${name}")" \
      "${WORK}/context" >"${WORK}/build-${name}.log" 2>&1 \
      || { hc_tail "${WORK}/build-${name}.log" 30; hc_die "building ${name} failed (${WORK}/build-${name}.log)"; }
    hc_log "$(image "${name}"): $(image_mb "${name}") MB, $((SECONDS - t1))s"
  done
  check_libraries "${names[@]}"
  hc_log "built ${#names[@]} images in $((SECONDS - t0))s"
  cmd_list
}

# Every shared library each binary loads is in its image (ldd inside the image).
check_libraries() {
  local name bin missing
  for name in "$@"; do
    case "${name}" in
      membership|events|volunteering|notifications|edge) bin="/usr/local/bin/${name}" ;;
      tools) bin=/usr/local/bin/hc-token ;;
      *) continue ;;
    esac
    missing="$(podman run --rm --entrypoint /usr/bin/ldd "$(image "${name}")" "${bin}" | grep 'not found' || true)"
    [[ -z "${missing}" ]] || hc_die "${name}: libraries missing from the image: ${missing}"
    if [[ "${name}" == tools ]]; then
      missing="$(podman run --rm --entrypoint /usr/bin/ldd "$(image tools)" /usr/local/bin/hc-service-tokens | grep 'not found' || true)"
      [[ -z "${missing}" ]] || hc_die "tools: libraries missing for hc-service-tokens: ${missing}"
    fi
  done
}

cmd_list() {
  local name over=0 mb
  for name in "${ALL_IMAGES[@]}"; do
    if podman image exists "$(image "${name}")"; then
      mb="$(image_mb "${name}")"
      printf '  %-48s %7s MB\n' "$(image "${name}")" "${mb}"
      case "${name}" in
        membership|events|volunteering|notifications|edge|tools)
          if awk -v m="${mb}" -v a="${SIZE_AIM_MB}" 'BEGIN { exit !(m > a) }'; then over=$((over + 1)); fi ;;
      esac
    else
      printf '  %-48s %10s\n' "$(image "${name}")" "(not built)"
    fi
  done
  ((over == 0)) || hc_warn "${over} service image(s) above the ${SIZE_AIM_MB} MB aim"
}

# --- smoke -------------------------------------------------------------------
PORT_BASE="${HC_IMAGES_SMOKE_PORT_BASE:-23000}"
smoke_port() {
  case "$1" in
    membership) echo $((PORT_BASE + 1)) ;; events) echo $((PORT_BASE + 2)) ;;
    volunteering) echo $((PORT_BASE + 3)) ;; notifications) echo $((PORT_BASE + 4)) ;;
    edge) echo $((PORT_BASE + 80)) ;;
  esac
}

smoke_healthy() {
  local name="$1" port; port="$(smoke_port "$1")"
  if [[ "${name}" == edge ]]; then
    curl -fsS -m 2 "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1
  else
    grpcurl -plaintext -max-time 2 "127.0.0.1:${port}" grpc.health.v1.Health/Check 2>/dev/null |
      grep -q SERVING
  fi
}

smoke_start() {
  local name="$1" ctr="hc-smoke-$1" keys="${WORK}/smoke-keys" port uid
  port="$(smoke_port "${name}")"
  podman rm --force --ignore "${ctr}" >/dev/null
  local db="images_smoke_${name}"
  PGOPTIONS="-c client_min_messages=warning" psql -q -v ON_ERROR_STOP=1 "${HC_PG_URL_BASE}/postgres" \
    -c "DROP DATABASE IF EXISTS \"${db}\" WITH (FORCE)" -c "CREATE DATABASE \"${db}\"" >/dev/null
  local env=(
    -e HC_GRPC_ADDR="127.0.0.1:${port}" -e HC_METRICS_ADDR="127.0.0.1:$((port + 100))"
    -e HC_DATABASE_URL="${HC_PG_URL_BASE}/${db}"
    -e HC_REDIS_ADDR="${HC_REDIS_ADDR}" -e HC_KAFKA_BROKERS="${HC_KAFKA_BROKERS}"
    -e HC_JWT_ALG=HS256 -e HC_JWT_ISSUER=homecoming-images-smoke -e HC_JWT_KEY_FILE=/keys/jwt-hs256.key
    -e HC_DATA_KEY_FILE=/keys/data-key.hex -e HC_UNSUBSCRIBE_KEY_FILE=/keys/unsubscribe-key.hex
    -e HC_SMTP_URL="${HC_SMTP_URL}" -e HC_SMS_BASE_URL="${HC_SMS_BASE_URL}"
    -e HC_SMS_ACCOUNT_ID="${HC_SMS_ACCOUNT_ID}" -e HC_SMS_TOKEN_FILE=/keys/sms-token -e HC_SMS_FROM=Homecoming
    -e HC_HTTP_ADDRESS="127.0.0.1:$((PORT_BASE + 84))"
    -e HC_PUBLIC_BASE_URL="http://127.0.0.1:$((PORT_BASE + 84))"
    -e HC_MEMBERSHIP_ADDR="127.0.0.1:$(smoke_port membership)"
    -e HC_EVENTS_ADDR="127.0.0.1:$(smoke_port events)"
    -e HC_VOLUNTEERING_ADDR="127.0.0.1:$(smoke_port volunteering)"
    -e HC_NOTIFICATIONS_ADDR="127.0.0.1:$(smoke_port notifications)"
  )
  if [[ "${name}" == edge ]]; then
    env+=(-e HC_EDGE_HTTP_ADDR="127.0.0.1:${port}" -e HC_EDGE_PROFILE=local
      -e HC_EDGE_PUBLIC_URL="http://127.0.0.1:${port}" -e HC_EDGE_DEV_USERS_FILE=/keys/dev-users.json
      -e HC_JWT_SIGNING_KEY_FILE=/keys/jwt-hs256.key -e HC_METRICS_ADDR="127.0.0.1:$((port + 100))")
  fi
  podman run --detach --name "${ctr}" --network=host --stop-timeout 30 \
    --volume "${keys}:/keys:ro" "${env[@]}" "$(image "${name}")" >/dev/null
  if ! hc_wait_until 60 "${name} (image) to answer health checks" smoke_healthy "${name}"; then
    podman logs --tail 30 "${ctr}" 2>&1 | sed 's/^/    | /' >&2
    hc_die "${name}: the image did not become healthy"
  fi
  # The server's uid, seen from the host (podman top reports the container's view too).
  uid="$(podman top "${ctr}" huser | awk 'NR == 2 { print $1 }')"
  local pid; pid="$(podman inspect --format '{{.State.Pid}}' "${ctr}")"
  local host_uid; host_uid="$(awk '/^Uid:/ { print $2 }' "/proc/${pid}/status")"
  if [[ "${uid}" == 0 || "${uid}" == root || "${host_uid}" == 0 ]]; then
    hc_die "${name}: the server runs as root"
  fi
  hc_log "${name}: uid ${host_uid}, SERVING"
}

# smoke_stop NAME: SIGTERM (podman stop); the server must drain and exit 0 within the grace.
smoke_stop() {
  local name="$1" ctr="hc-smoke-$1" db="images_smoke_$1" code t0="${SECONDS}"
  podman stop --time 30 "${ctr}" >/dev/null
  code="$(podman inspect --format '{{.State.ExitCode}}' "${ctr}")"
  local took=$((SECONDS - t0))
  if [[ "${code}" != 0 ]]; then
    podman logs --tail 30 "${ctr}" 2>&1 | sed 's/^/    | /' >&2
    hc_die "${name}: exited ${code} on SIGTERM (137 means the 30 s grace ran out and it was killed)"
  fi
  podman rm --force "${ctr}" >/dev/null
  PGOPTIONS="-c client_min_messages=warning" psql -q "${HC_PG_URL_BASE}/postgres" \
    -c "DROP DATABASE IF EXISTS \"${db}\" WITH (FORCE)" >/dev/null || true
  hc_log "${name}: stopped by SIGTERM, exit 0 in ${took}s"
}

# Containers of a failed run go too (only ours: they are named hc-smoke-NAME).
SMOKE_NAMES=()
smoke_cleanup() {
  local name
  for name in "${SMOKE_NAMES[@]}"; do
    podman rm --force --ignore "hc-smoke-${name}" >/dev/null 2>&1 || true
  done
}


cmd_smoke() {
  local names=("$@") name
  ((${#names[@]})) || names=("${SERVICE_IMAGES[@]}")
  hc_need podman grpcurl curl psql openssl
  local env_file="${HC_HOME}/test/stack.env"
  [[ -f "${env_file}" ]] || hc_die "the test stack is not running (scripts/stack.sh up --profile test)"
  set -a
  # shellcheck disable=SC1090
  . "${env_file}"
  set +a
  # Keys for the smoke runs, readable by the image's uid through the read-only mount.
  local keys="${WORK}/smoke-keys"
  mkdir -p "${keys}"
  [[ -s "${keys}/jwt-hs256.key" ]] || head -c 48 /dev/urandom | base64 -w0 >"${keys}/jwt-hs256.key"
  [[ -s "${keys}/data-key.hex" ]] || openssl rand -hex 32 >"${keys}/data-key.hex"
  [[ -s "${keys}/unsubscribe-key.hex" ]] || openssl rand -hex 32 >"${keys}/unsubscribe-key.hex"
  [[ -s "${keys}/dev-users.json" ]] || echo '[]' >"${keys}/dev-users.json"
  cp "${HC_SMS_TOKEN_FILE}" "${keys}/sms-token"
  chmod 755 "${keys}"
  chmod 644 "${keys}"/*
  # The edge's /healthz asks the services behind it, so they run while it is tested: start them
  # in order (edge last), stop in reverse.
  if [[ " ${names[*]} " == *" edge "* ]]; then
    local order=(membership events volunteering notifications)
    for name in "${names[@]}"; do
      [[ " ${order[*]} " == *" ${name} "* ]] || order+=("${name}")
    done
    names=("${order[@]}")
  fi
  SMOKE_NAMES=("${names[@]}")
  trap smoke_cleanup EXIT
  hc_steps 2
  hc_step "starting ${names[*]} from their images"
  for name in "${names[@]}"; do smoke_start "${name}"; done
  hc_step "stopping them with SIGTERM"
  local i
  for ((i = ${#names[@]} - 1; i >= 0; i--)); do smoke_stop "${names[i]}"; done
  hc_log "${#names[@]} images passed the smoke test"
}

case "${1:-}" in
  build) shift; flock /tmp/hc-build.lock "$0" _build "$@" ;;
  _build) shift; cmd_build "$@" ;;
  smoke) shift; cmd_smoke "$@" ;;
  list) hc_need podman; cmd_list ;;
  -h|--help|"") awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" ;;
  *) hc_die "unknown command '$1' (try --help)" ;;
esac
