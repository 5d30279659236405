#!/usr/bin/env bash
# Installs what Homecoming needs to build and to run its local stack (Debian 12).
# Idempotent: when everything is present it only checks and exits in a second or two.
#
#   scripts/install-deps.sh [--tools] [--images]
#
#   --tools   also `go install` grpcurl and ghz into /usr/local/bin (needs Go >= 1.22), and
#             apt-get install nghttp2-client (h2load, bench/h2load_bench.sh)
#   --images  also install podman, buildah, mmdebstrap and runc (scripts/images.sh)
#
# Always `go install`s Mailpit (the local SMTP server notifications' email channel, its tests
# and run.sh use) into /usr/local/bin; the first build takes a few minutes.
#
# Environment: HC_HOME (default /var/tmp/homecoming) — the Kafka jars go to
# "$HC_HOME/kafka/libs", resolved by Maven from deploy/kafka/pom.xml.
set -euo pipefail
HC_LOG_TAG="install-deps"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WITH_TOOLS=0
WITH_IMAGES=0
for arg in "$@"; do
  case "${arg}" in
    --tools) WITH_TOOLS=1 ;;
    --images) WITH_IMAGES=1 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) hc_die "unknown argument '${arg}' (try --help)" ;;
  esac
done

hc_require_root
hc_steps $((6 + WITH_TOOLS + WITH_IMAGES))

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  librdkafka-dev libhiredis-dev prometheus-cpp-dev libpqxx-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev nlohmann-json3-dev libjwt-dev libsodium-dev libssl-dev
  libcurl4-openssl-dev libcpp-httplib-dev
  postgresql postgresql-contrib redis-server prometheus kcat
  prometheus-alertmanager
  python3-icalendar openssl clang-format
  chromium chromium-driver fonts-dejavu-core wrk
)
# Only install a JRE / Maven when the machine has none.
java -version >/dev/null 2>&1 || PACKAGES+=(openjdk-17-jre-headless)
hc_have mvn || PACKAGES+=(maven)

# --- 1. Debian packages -------------------------------------------------------
hc_step "checking ${#PACKAGES[@]} Debian packages"
# install_missing PACKAGE...: apt-installs those not installed yet (apt-get update first).
install_missing() {
  local pkg status missing=()
  for pkg in "$@"; do
    status="$(dpkg-query -W -f='${db:Status-Abbrev}' "${pkg}" 2>/dev/null || true)"
    [[ "${status}" == "ii"* ]] || missing+=("${pkg}")
  done
  if ((${#missing[@]} > 0)); then
    hc_log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    hc_log "all packages present"
  fi
}
install_missing "${PACKAGES[@]}"

# --- 2. system instances of postgresql / redis / prometheus ------------------
# Debian starts and enables these on install (ports 5432/6379/9090). The local
# stack (scripts/stack.sh) runs its own instances, so stop and disable them.
hc_step "making sure Debian's system postgresql/redis/prometheus are stopped and disabled"
systemd_running() { [[ -d /run/systemd/system ]] && hc_have systemctl; }

disable_service() {
  local svc="$1"
  if hc_have systemctl; then
    # is-enabled/disable also work when systemd is not PID 1 (containers).
    if [[ "$(systemctl is-enabled "${svc}" 2>/dev/null || true)" == "enabled" ]]; then
      systemctl disable "${svc}" >/dev/null 2>&1 || true
      hc_log "disabled ${svc}"
    fi
  elif [[ -x "/etc/init.d/${svc}" ]] && hc_have update-rc.d \
      && compgen -G "/etc/rc[2-5].d/S??${svc}" >/dev/null; then
    update-rc.d "${svc}" disable >/dev/null 2>&1 || true
    hc_log "disabled ${svc}"
  fi
}

stop_service() {
  local svc="$1"
  if systemd_running; then
    systemctl stop "${svc}" >/dev/null 2>&1 || true
  elif hc_have service; then
    service "${svc}" stop >/dev/null 2>&1 || true
  fi
}

# Kill leftovers of a system instance: match on the dedicated system user, so the
# stack's own instances (run as root / postgres with their own pid files) are safe.
kill_user_procs() {
  local user="$1" name="$2" pids
  id "${user}" >/dev/null 2>&1 || return 0
  pids="$(pgrep -u "${user}" -x "${name}" || true)"
  [[ -n "${pids}" ]] || return 0
  local pid
  for pid in ${pids}; do hc_stop_pid "${pid}" "system ${name}" 20; done
}

if dpkg-query -W -f='${db:Status-Abbrev}' postgresql 2>/dev/null | grep -q '^ii'; then
  disable_service postgresql
  # Debian's per-cluster switch: "manual" keeps the init script from starting it.
  for conf in /etc/postgresql/*/*/start.conf; do
    [[ -f "${conf}" ]] || continue
    if grep -qx 'auto' "${conf}"; then
      sed -i 's/^auto$/manual/' "${conf}"
      hc_log "set ${conf} to manual"
    fi
  done
  online=""
  if hc_have pg_lsclusters; then
    online="$(pg_lsclusters -h 2>/dev/null | awk '$4 ~ /^online/ {print $1, $2}' || true)"
  fi
  if [[ -n "${online}" ]]; then
    stop_service postgresql
    while read -r ver cluster; do
      pg_ctlcluster "${ver}" "${cluster}" stop -m fast >/dev/null 2>&1 || true
      hc_log "stopped system postgresql cluster ${ver}/${cluster}"
    done <<<"${online}"
  fi
fi
if dpkg-query -W -f='${db:Status-Abbrev}' redis-server 2>/dev/null | grep -q '^ii'; then
  disable_service redis-server
  if pgrep -u redis -x redis-server >/dev/null 2>&1; then
    stop_service redis-server
    kill_user_procs redis redis-server
    hc_log "stopped system redis-server"
  fi
fi
if dpkg-query -W -f='${db:Status-Abbrev}' prometheus 2>/dev/null | grep -q '^ii'; then
  disable_service prometheus
  if pgrep -u prometheus -x prometheus >/dev/null 2>&1; then
    stop_service prometheus
    kill_user_procs prometheus prometheus
    hc_log "stopped system prometheus"
  fi
fi
# Debian's alertmanager listens on 9093/9094; the dev stack runs its own on 19095. pgrep
# matches the first 15 characters of a process name.
if dpkg-query -W -f='${db:Status-Abbrev}' prometheus-alertmanager 2>/dev/null | grep -q '^ii'; then
  disable_service prometheus-alertmanager
  if pgrep -u prometheus -x prometheus-aler >/dev/null 2>&1; then
    stop_service prometheus-alertmanager
    kill_user_procs prometheus prometheus-aler
    hc_log "stopped system prometheus-alertmanager"
  fi
fi

# --- 3. Kafka jars ------------------------------------------------------------
KAFKA_VERSION="$(hc_kafka_version)"
[[ -n "${KAFKA_VERSION}" ]] || hc_die "cannot read kafka.version from deploy/kafka/pom.xml"
hc_step "Kafka ${KAFKA_VERSION} jars in ${HC_KAFKA_LIBS}"
marker="${HC_KAFKA_LIBS}/.kafka-version"
if [[ -f "${marker}" && "$(cat "${marker}")" == "${KAFKA_VERSION}" \
      && -f "${HC_KAFKA_LIBS}/kafka_2.13-${KAFKA_VERSION}.jar" \
      && -f "${HC_KAFKA_LIBS}/kafka-tools-${KAFKA_VERSION}.jar" ]]; then
  hc_log "already resolved"
else
  hc_need java mvn
  mkdir -p "${HC_HOME}/kafka"
  chmod 755 "${HC_HOME}" "${HC_HOME}/kafka"
  tmp="$(mktemp -d "${HC_HOME}/kafka/libs.tmp.XXXXXX")"
  trap 'rm -rf "${tmp}"' EXIT
  hc_log "resolving with Maven (first run downloads ~70 MB into ~/.m2)"
  mvn -q -B -Dstyle.color=never -f "${HC_REPO_ROOT}/deploy/kafka/pom.xml" \
    dependency:copy-dependencies -DoutputDirectory="${tmp}" -DincludeScope=runtime \
    || hc_die "Maven could not resolve deploy/kafka/pom.xml (network to Maven Central?)"
  [[ -f "${tmp}/kafka_2.13-${KAFKA_VERSION}.jar" ]] \
    || hc_die "Maven did not produce kafka_2.13-${KAFKA_VERSION}.jar"
  printf '%s\n' "${KAFKA_VERSION}" >"${tmp}/.kafka-version"
  chmod 755 "${tmp}"
  rm -rf "${HC_KAFKA_LIBS}"
  mv "${tmp}" "${HC_KAFKA_LIBS}"
  trap - EXIT
  hc_log "resolved $(find "${HC_KAFKA_LIBS}" -name '*.jar' | wc -l) jars"
fi

# --- 4. kustomize, for the k8s render tests (tests/ops) ------------------------
# Debian 12's kubernetes-client bundles kustomize v2, too old for our overlays; kustomize v5
# builds from the Go module proxy. A kubectl (which embeds kustomize v5) also serves.
hc_step "kustomize"
if [[ -x /usr/local/go/bin/go ]]; then PATH="/usr/local/go/bin:${PATH}"; fi
if hc_have kustomize || hc_have kubectl; then
  hc_log "present ($(command -v kustomize || command -v kubectl))"
else
  hc_have go || hc_die "Go (>= 1.22.7) is needed to build kustomize"
  hc_log "go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1"
  GOBIN=/usr/local/bin go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1
fi
# tools/k8s-validate (the ops.k8s.validate.* tests) is a Go program its ctest builds.
hc_have go || [[ -x /usr/local/go/bin/go ]] || hc_die "Go >= 1.26 is needed for tools/k8s-validate"

# --- 5. Mailpit, the local SMTP server (scripts/stack.sh) ----------------------
MAILPIT_VERSION="v1.33.1"
hc_step "mailpit ${MAILPIT_VERSION}"
if [[ -x /usr/local/go/bin/go ]]; then PATH="/usr/local/go/bin:${PATH}"; fi
# `mailpit version` says "dev" for a go-installed build (and asks GitHub); the module's
# version is in the binary's build info.
if hc_have mailpit && hc_have go \
    && go version -m "$(command -v mailpit)" 2>/dev/null \
      | grep -Eq "^[[:space:]]+mod[[:space:]]+github.com/axllent/mailpit[[:space:]]+${MAILPIT_VERSION}"; then
  hc_log "present ($(command -v mailpit))"
else
  hc_have go || hc_die "Go (>= 1.26) is needed to build Mailpit (install it into /usr/local/go)"
  hc_log "go install github.com/axllent/mailpit@${MAILPIT_VERSION} (a few minutes the first time)"
  GOBIN=/usr/local/bin go install "github.com/axllent/mailpit@${MAILPIT_VERSION}"
fi

# --- 6. Node.js for the web app (web/, built with Vite 8) ------------------------
# Vite 8 needs Node.js >= 20.19; Debian 12's own nodejs is 18, so a machine without a newer
# Node is told what to do rather than handed a build that fails later.
hc_step "Node.js for the web app"
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if ((node_major >= 20)) && hc_have npm; then
  hc_log "node $(node --version), npm $(npm --version)"
else
  hc_die "the web app needs Node.js >= 20.19 with npm (found: $(node --version 2>/dev/null || echo none))"
fi

# --- 7. optional Go tools -----------------------------------------------------
if ((WITH_TOOLS)); then
  hc_step "grpcurl and ghz"
  if [[ -x /usr/local/go/bin/go ]]; then PATH="/usr/local/go/bin:${PATH}"; fi
  # ghz is pinned: the module proxy's version list stops at v0.93.0 (2021), so
  # @latest resolves to that instead of the current v0.120.0.
  tools=(
    "grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl@latest"
    "ghz github.com/bojand/ghz/cmd/ghz@v0.120.0"
  )
  for t in "${tools[@]}"; do
    read -r name module <<<"${t}"
    if hc_have "${name}"; then
      hc_log "${name} present ($(command -v "${name}"))"
      continue
    fi
    hc_have go || hc_die "Go is needed for --tools (install Go >= 1.22 into /usr/local/go)"
    hc_log "go install ${module}"
    GOBIN=/usr/local/bin go install "${module}"
  done
  # h2load (bench/h2load_bench.sh): a C HTTP/2 load generator that outruns the servers on one
  # core, where ghz saturates its own core first.
  if ! hc_have h2load; then
    hc_log "installing nghttp2-client (h2load)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends nghttp2-client
  fi
fi

# --- 8. optional container image tools -----------------------------------------
# podman 4.3 on this machine kind needs runc (crun refuses its hybrid cgroup layout); the
# settings live in deploy/images/containers.conf, which scripts/images.sh uses.
if ((WITH_IMAGES)); then
  hc_step "podman, buildah, mmdebstrap and runc"
  image_pkgs=(podman buildah mmdebstrap runc)
  # deploy/compose.yaml: podman-compose, and the CNI plugin that lets its containers find each
  # other by service name on the compose network.
  image_pkgs+=(podman-compose golang-github-containernetworking-plugin-dnsname)
  install_missing "${image_pkgs[@]}"
fi

hc_log "done"
