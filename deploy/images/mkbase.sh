#!/usr/bin/env bash
# Makes the base root filesystem of every Homecoming image with mmdebstrap (no registry):
# Debian 12 minbase, merged /usr, the runtime libraries of deploy/images/runtime-packages.txt,
# tzdata and CA certificates; no apt lists, no docs, man pages or locales (dpkg path-exclude,
# which also keeps later `apt-get install`s in derived images slim).
#
#   deploy/images/mkbase.sh OUT.tar
#
# The package sources are the host's (so the libraries match the ones the host build linked
# against); they are removed from the root filesystem again: images never carry sources.
set -euo pipefail
out="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
include="$(grep -v '^#' "${here}/runtime-packages.txt" | grep . | paste -sd, -)"

mirrors=()
for src in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [[ -s "${src}" ]] && mirrors+=("${src}")
done

# SOURCE_DATE_EPOCH makes the tarball's timestamps stable across rebuilds.
mmdebstrap --variant=minbase --format=tar --quiet \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --dpkgopt='path-exclude=/usr/share/linda/*' \
  --aptopt='APT::Install-Recommends "false"' \
  --include="${include}" \
  --customize-hook='rm -f "$1"/etc/apt/sources.list "$1"/etc/apt/sources.list.d/*' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*.log "$1"/var/log/apt/*' \
  --customize-hook='echo "homecoming" >"$1"/etc/hostname' \
  bookworm "${out}" "${mirrors[@]}"
