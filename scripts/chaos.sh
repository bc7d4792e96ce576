#!/usr/bin/env bash
# `make chaos`: builds the services and bench/cmd/chaos, then runs the fault scenarios against a stack of
# the run's own (a PostgreSQL initialised in a temporary directory, a Redis server, two realtime-go and
# two tile-delta-go replicas, snapshot-rs and gateway-ts on free ports), so that killing, pausing or
# restarting them disturbs nothing else.
# Results: chaos.json and chaos.md in $CHAOS_OUT, else bench/results/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$INFIDRAW_ROOT"
bash scripts/build.sh
go build -o bin/chaos ./bench/cmd/chaos
command -v goose >/dev/null || { echo "[chaos] goose is not installed (run scripts/tools.sh go)" >&2; exit 1; }
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$pg_bin" ] || { echo "[chaos] PostgreSQL is not installed (run scripts/tools.sh system)" >&2; exit 1; }
export REALTIME_BIN="$INFIDRAW_ROOT/bin/realtime-go" TILE_DELTA_BIN="$INFIDRAW_ROOT/bin/tile-delta-go"
export SNAPSHOT_BIN="$INFIDRAW_ROOT/target/release/snapshot-server" PG_BIN="$pg_bin" MIGRATIONS_DIR="$INFIDRAW_ROOT/db/migrations"
export GATEWAY_MAIN="$INFIDRAW_ROOT/gateway-ts/dist/main.js"
REDIS_SERVER="$(command -v redis-server)" NODE_BIN="$(command -v node)"; export REDIS_SERVER NODE_BIN
exec bin/chaos --out "${CHAOS_OUT:-bench/results}" "$@"
