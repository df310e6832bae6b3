#!/usr/bin/env bash
# Installs bubblewrap (bwrap), which the execution sandbox and its escape tests need, when it is
# missing; does nothing when /usr/bin/bwrap is already there. Debian/Ubuntu (apt-get), Fedora/RHEL
# (dnf) and Alpine (apk), as root or through passwordless sudo. Also needs prlimit (util-linux)
# and setpriv (util-linux), present on every mainstream distribution.
set -euo pipefail

if [ -x /usr/bin/bwrap ] || [ -x /usr/local/bin/bwrap ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "ensure-bubblewrap.sh: bubblewrap is not installed and this user cannot install packages; ask an administrator for \`apt-get install -y bubblewrap\`" >&2
  exit 1
fi

if command -v apt-get >/dev/null; then
  "${as_root[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq bubblewrap >&2
elif command -v dnf >/dev/null; then
  "${as_root[@]}" dnf install -y -q bubblewrap >&2
elif command -v apk >/dev/null; then
  "${as_root[@]}" apk add --quiet bubblewrap >&2
else
  echo "ensure-bubblewrap.sh: no apt-get, dnf or apk here; install bubblewrap with this system's package manager" >&2
  exit 1
fi
bwrap --version >&2
