#!/usr/bin/env bash
# Installs a package's pinned Node dependencies from its own lock file (npm ci), again only when the lock
# changed: npm's own node_modules/.package-lock.json never equals the lock, so a copy of the installed lock
# is the stamp. Used for the benchmark relays and node canvas (scripts/bench.sh, scripts/test.sh).
set -euo pipefail
source "$(dirname "$0")/env.sh"
for dir in "$@"; do
  cmp -s "$dir/package-lock.json" "$dir/node_modules/.infidraw-installed-lock" 2>/dev/null \
    || { npm ci --prefix "$dir" --no-audit --no-fund --silent && cp "$dir/package-lock.json" "$dir/node_modules/.infidraw-installed-lock"; }
done
