#!/usr/bin/env bash
# `make bench` (or `scripts/bench.sh --quick`, which `make test` runs): builds, starts PostgreSQL and
# Redis, and runs bench/ with the servers pinned to core 1 and the load generator to core 0.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"
mkdir -p bin
go build -o bin/realtime-go ./realtime-go/cmd/realtime
go build -o bin/bench ./bench/cmd/bench
# The earlier design's Node relay (fan-out baseline): pinned dependencies from its own lock file.
[ -d bench/baseline-relay/node_modules ] && cmp -s bench/baseline-relay/package-lock.json bench/baseline-relay/node_modules/.package-lock.json \
  || npm ci --prefix bench/baseline-relay --no-audit --no-fund --silent
started=()
for svc in pg redis; do bash scripts/backing.sh running "$svc" || started+=("$svc"); done
trap '[ ${#started[@]} -eq 0 ] || bash scripts/backing.sh stop "${started[@]}"' EXIT
bash scripts/backing.sh start pg redis
bash scripts/backing.sh migrate "$BENCH_DATABASE_URL"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cpus=""; [ "$(nproc)" -ge 2 ] && cpus="1"
export REALTIME_BIN="$INFIDRAW_ROOT/bin/realtime-go"
export BASELINE_RELAY="$INFIDRAW_ROOT/bench/baseline-relay/server.js"
export NODE_BIN="$(command -v node)"
gen=(bin/bench)
[ -n "$cpus" ] && gen=(taskset -c 0 bin/bench)
"${gen[@]}" --server-cpus "$cpus" --strokes "${STROKES_DIR:-$INFIDRAW_ROOT/../shared/data/strokes/raw}" "$@"
