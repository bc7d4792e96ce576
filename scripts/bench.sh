#!/usr/bin/env bash
# `make bench` (or `scripts/bench.sh --quick`, which `make test` runs): builds, starts PostgreSQL and
# Redis, and runs bench/ with the servers pinned to core 1 and the load generator to core 0.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"
mkdir -p bin
go build -o bin/realtime-go ./realtime-go/cmd/realtime
go build -o bin/bench ./bench/cmd/bench
started=()
for svc in pg redis; do bash scripts/backing.sh running "$svc" || started+=("$svc"); done
trap '[ ${#started[@]} -eq 0 ] || bash scripts/backing.sh stop "${started[@]}"' EXIT
bash scripts/backing.sh start pg redis
bash scripts/backing.sh migrate "$BENCH_DATABASE_URL"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cpus=""; [ "$(nproc)" -ge 2 ] && cpus="1"
export REALTIME_BIN="$INFIDRAW_ROOT/bin/realtime-go"
gen=(bin/bench)
[ -n "$cpus" ] && gen=(taskset -c 0 bin/bench)
"${gen[@]}" --server-cpus "$cpus" --strokes "${STROKES_DIR:-$INFIDRAW_ROOT/../shared/data/strokes/raw}" "$@"
