#!/usr/bin/env bash
# Configures and builds Homecoming with CMake + Ninja (ccache when present), then the web app
# (web/, with npm and Vite) into web/dist, which the edge serves.
#
#   scripts/build.sh [--build-dir DIR]   (default: build/)
#
# Environment: HC_BUILD_TYPE (default RelWithDebInfo), CCACHE_DIR (default ~/.cache/ccache).
set -euo pipefail
HC_LOG_TAG="build"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILD_DIR="${HC_REPO_ROOT}/build"
while (($#)); do
  case "$1" in
    --build-dir) BUILD_DIR="$2"; shift ;;
    *) hc_die "unknown argument '$1'" ;;
  esac
  shift
done

hc_need cmake ninja g++
export CCACHE_DIR="${CCACHE_DIR:-${HOME}/.cache/ccache}"
# Paths relative to the checkout, so another clone of the repo (CI's) reuses the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-${HC_REPO_ROOT}}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"
hc_steps 3
hc_step "configuring in ${BUILD_DIR}"
cmake -S "${HC_REPO_ROOT}" -B "${BUILD_DIR}" -G Ninja \
  -DCMAKE_BUILD_TYPE="${HC_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
hc_step "compiling (this takes a few minutes on a cold cache)"
ninja -C "${BUILD_DIR}"
hc_step "building the web app (web/dist)"
hc_need node npm
(
  cd "${HC_REPO_ROOT}/web"
  # npm ci only when the lock file changed since the last install: it wipes node_modules.
  if [[ ! node_modules/.package-lock.json -nt package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  npm run --silent build
)
hc_log "built in $((SECONDS - _HC_T0))s"
