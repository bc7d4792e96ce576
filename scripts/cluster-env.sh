# Sourced by scripts/chaos.sh and scripts/soak.sh (from the repository root, after env.sh): builds the
# services and exports what bench/internal/chaos's own stack needs (chaos.ConfigFromEnv reads it).
bash scripts/build.sh
command -v goose >/dev/null || { echo "[cluster] goose is not installed (run scripts/tools.sh go)" >&2; exit 1; }
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
[ -n "$pg_bin" ] || { echo "[cluster] PostgreSQL is not installed (run scripts/tools.sh system)" >&2; exit 1; }
export REALTIME_BIN="$INFIDRAW_ROOT/bin/realtime-go" TILE_DELTA_BIN="$INFIDRAW_ROOT/bin/tile-delta-go"
export SNAPSHOT_BIN="$INFIDRAW_ROOT/target/release/snapshot-server" PG_BIN="$pg_bin" MIGRATIONS_DIR="$INFIDRAW_ROOT/db/migrations"
export GATEWAY_MAIN="$INFIDRAW_ROOT/gateway-ts/dist/main.js"
REDIS_SERVER="$(command -v redis-server)" NODE_BIN="$(command -v node)"; export REDIS_SERVER NODE_BIN
